#include "node/perf_service.h"

namespace agora {

PerfService::PerfService(rt::Swarm& swarm, PerfServiceConfig config, observe::Registry& metrics,
                         observe::EventRecorder& events)
    : swarm_(swarm), config_(config), metrics_(metrics), events_(events) {}

void PerfService::start() {
  if (!config_.enabled) return;
  swarm_.set_handler(kPerfProtocol, [this](auto s) { return serve(std::move(s)); });
}

// Resets the stream when one chunk (chunk_bytes) takes longer than `stall` to move: the peer
// stopped reading or sending, or trickles (a byte now and then does not re-arm it).
static std::unique_ptr<rt::Deadline> stall_guard(rt::Stream& stream, Duration stall) {
  std::weak_ptr<rt::Stream> weak = stream.weak_from_this();
  return std::make_unique<rt::Deadline>(stream.connection().executor(), stall, [weak] {
    if (auto s = weak.lock()) s->reset();
  });
}

static Error stalled(Duration stall) {
  return make_error(Errc::timeout,
                    "less than a chunk moved in " + std::to_string(to_ms(stall)) + " ms");
}

static rt::awaitable<Status> send_zeros(rt::Stream& stream, uint64_t n, size_t chunk_bytes,
                                        Duration stall) {
  Bytes chunk(chunk_bytes, 0);
  while (n > 0) {
    size_t len = size_t(std::min<uint64_t>(n, chunk.size()));
    auto guard = stall_guard(stream, stall);
    if (Status st = co_await stream.write_all({chunk.data(), len}); !st)
      co_return guard->expired() ? stalled(stall) : st;
    n -= len;
  }
  co_return Status{};
}

static rt::awaitable<Result<uint64_t>> drain(rt::Stream& stream, size_t chunk_bytes,
                                             Duration stall) {
  Bytes buf(chunk_bytes);
  uint64_t total = 0, since_guard = 0;
  auto guard = stall_guard(stream, stall);
  for (;;) {
    auto n = co_await stream.read_some(buf.data(), buf.size());
    if (!n) co_return guard->expired() ? stalled(stall) : n.error();
    if (*n == 0) co_return total;
    total += *n;
    since_guard += *n;
    if (since_guard >= chunk_bytes) {  // a whole chunk moved: a fresh deadline for the next
      guard = stall_guard(stream, stall);
      since_guard = 0;
    }
  }
}

// Refusals and stalls are counted by reason and recorded: a peer that asks for too much or stops
// reading shows up in `agora events` and the metrics.
void PerfService::refuse(rt::Stream& stream, const char* reason, const std::string& detail) {
  metrics_
      .counter("agora_perf_streams_refused_total",
               "perf streams reset: over the concurrency or size limit, or stalled",
               {{"reason", reason}})
      .inc();
  observe::Event e;
  e.type = observe::EventType::stream_reset;
  e.peer = stream.connection().info().peer.to_string();
  e.addr = stream.connection().info().remote_addr.to_string();
  e.direction = observe::Direction::inbound;
  e.protocol = kPerfProtocol;
  e.reason = reason;
  e.detail = detail;
  events_.record(std::move(e));
  stream.reset();
}

// A stall is the peer's doing and is recorded; anything else (the peer reset, the connection
// closed) just ends the stream.
void PerfService::finish_failed(rt::Stream& stream, const char* phase, const Error& error) {
  if (error.code == Errc::timeout) {
    refuse(stream, "stalled", std::string(phase) + ": " + error.message);
  } else {
    stream.reset();
  }
}

rt::awaitable<void> PerfService::serve(std::shared_ptr<rt::Stream> stream) {
  if (active_ >= config_.concurrent_streams_max) {
    refuse(
        *stream, "limit",
        "concurrent_streams_max reached (" + std::to_string(config_.concurrent_streams_max) + ")");
    co_return;
  }
  // One peer cannot take every slot: perf is a measurement, one stream per peer measures it.
  PeerId peer = stream->connection().info().peer;
  if (active_by_peer_[peer] >= config_.streams_per_peer_max) {
    refuse(*stream, "limit",
           "streams_per_peer_max reached (" + std::to_string(config_.streams_per_peer_max) + ")");
    co_return;
  }
  ++active_;
  ++active_by_peer_[peer];
  co_await answer(*stream);
  --active_;
  if (--active_by_peer_[peer] == 0) active_by_peer_.erase(peer);
}

rt::awaitable<void> PerfService::answer(rt::Stream& stream) {
  uint8_t header[8];
  Status header_read;
  {
    auto guard = stall_guard(stream, config_.stall_timeout);
    header_read = co_await stream.read_exact(header, sizeof header);
    if (guard->expired()) header_read = stalled(config_.stall_timeout);
  }
  if (!header_read) {
    finish_failed(stream, "request", header_read.error());
    co_return;
  }
  uint64_t download = get_u64_be(header);
  if (download > config_.download_bytes_max) {
    refuse(stream, "too_large",
           "asked for " + std::to_string(download) + " bytes; download_bytes_max is " +
               std::to_string(config_.download_bytes_max));
    co_return;
  }
  auto up = co_await drain(stream, config_.chunk_bytes, config_.stall_timeout);
  if (!up) {
    finish_failed(stream, "upload", up.error());
    co_return;
  }
  Status sent = co_await send_zeros(stream, download, config_.chunk_bytes, config_.stall_timeout);
  if (!sent) {
    finish_failed(stream, "download", sent.error());
    co_return;
  }
  stream.close_write();
}

rt::awaitable<Result<PerfResult>> PerfService::run(std::shared_ptr<rt::Connection> conn,
                                                   uint64_t upload_bytes, uint64_t download_bytes) {
  Instant start = rt::now();
  std::vector<std::string> protocols{kPerfProtocol};  // named: see upgrade.cpp on GCC 12
  auto stream = co_await swarm_.open_stream(conn, protocols);
  if (!stream) co_return stream.error();
  rt::Stream& s = **stream;
  PerfResult result;
  uint8_t header[8];
  put_u64_be(header, download_bytes);
  Instant upload_start = rt::now();
  if (Status st = co_await s.write_all({header, sizeof header}); !st) co_return st.error();
  if (Status st = co_await send_zeros(s, upload_bytes, config_.chunk_bytes, config_.stall_timeout);
      !st)
    co_return st.error();
  s.close_write();
  Instant upload_end = rt::now();
  auto got = co_await drain(s, config_.chunk_bytes, config_.stall_timeout);
  if (!got) co_return got.error();
  if (*got != download_bytes)
    co_return make_error(Errc::protocol, "perf: asked for " + std::to_string(download_bytes) +
                                             " bytes, received " + std::to_string(*got));
  Instant end = rt::now();
  result.upload_bytes = upload_bytes;
  result.download_bytes = *got;
  result.upload_time = upload_end - upload_start;
  result.download_time = end - upload_end;
  result.total_time = end - start;
  co_return result;
}

}  // namespace agora
