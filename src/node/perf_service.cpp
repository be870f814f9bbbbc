#include "node/perf_service.h"

namespace agora {

PerfService::PerfService(rt::Swarm& swarm, PerfServiceConfig config)
    : swarm_(swarm), config_(config) {}

void PerfService::start() {
  swarm_.set_handler(kPerfProtocol, [this](auto s) { return serve(std::move(s)); });
}

static rt::awaitable<Status> send_zeros(rt::Stream& stream, uint64_t n, size_t chunk_bytes) {
  Bytes chunk(chunk_bytes, 0);
  while (n > 0) {
    size_t len = size_t(std::min<uint64_t>(n, chunk.size()));
    if (Status st = co_await stream.write_all({chunk.data(), len}); !st) co_return st;
    n -= len;
  }
  co_return Status{};
}

static rt::awaitable<Result<uint64_t>> drain(rt::Stream& stream, size_t chunk_bytes) {
  Bytes buf(chunk_bytes);
  uint64_t total = 0;
  for (;;) {
    auto n = co_await stream.read_some(buf.data(), buf.size());
    if (!n) co_return n.error();
    if (*n == 0) co_return total;
    total += *n;
  }
}

rt::awaitable<void> PerfService::serve(std::shared_ptr<rt::Stream> stream) {
  if (active_ >= config_.concurrent_streams_max) {
    stream->reset();
    co_return;
  }
  ++active_;
  uint8_t header[8];
  if (Status st = co_await stream->read_exact(header, sizeof header); st) {
    uint64_t download = get_u64_be(header);
    if (download > config_.download_bytes_max) {
      stream->reset();
    } else if (auto up = co_await drain(*stream, config_.chunk_bytes); up) {
      if (Status sent = co_await send_zeros(*stream, download, config_.chunk_bytes); sent)
        stream->close_write();
    }
  } else {
    stream->reset();
  }
  --active_;
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
  if (Status st = co_await send_zeros(s, upload_bytes, config_.chunk_bytes); !st)
    co_return st.error();
  s.close_write();
  Instant upload_end = rt::now();
  auto got = co_await drain(s, config_.chunk_bytes);
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
