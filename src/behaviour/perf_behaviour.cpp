#include "behaviour/perf_behaviour.h"

#include <algorithm>

namespace agora::behaviour {

namespace {
constexpr size_t kRequestBytes = 8;          // the u64 BE download size
constexpr size_t kRefusalsQueuedMax = 1024;  // not yet taken by the adapter: the oldest go
}  // namespace

PerfBehaviour::PerfBehaviour(PerfConfig config)
    : config_(config), zeros_(std::make_shared<const Bytes>(config.chunk_bytes, 0)) {}

std::vector<host::ProtocolSpec> PerfBehaviour::protocols() const {
  host::ProtocolSpec spec;
  spec.name = kPerfProtocol;
  spec.framing = {.kind = host::Framing::Kind::bytes, .message_bytes_max = kRequestBytes};
  spec.inbound = config_.enabled;
  // The behaviour counts its own slots (its refusals are recorded by reason); the swarm's
  // per-peer caps (the defaults) only stop a flood of streams that would be refused anyway.
  spec.config.limits.all_peers = host::kAllPeersLimits;
  spec.send_queue_bytes_max = config_.chunks_in_flight * config_.chunk_bytes + kRequestBytes;
  spec.close_linger = config_.stall_timeout;
  return {spec};
}

Result<PerfRunId> PerfBehaviour::run(const PeerId& peer, host::ConnectionId connection,
                                     uint64_t upload_bytes, uint64_t download_bytes, Instant now) {
  if (pending_.size() + size_t(std::count_if(transfers_.begin(), transfers_.end(),
                                             [](auto& t) { return t.second.ours; })) >=
      config_.runs_max)
    return make_error(Errc::limit, "runs_max perf runs already in flight (" +
                                       std::to_string(config_.runs_max) + ")");
  PerfRunId id = next_run_++;
  pending_[id] = {peer, upload_bytes, download_bytes, now};
  actions_.push_back(host::OpenStream{
      .peer = peer, .protocol = kPerfProtocol, .tag = id, .connection = connection, .addrs = {}});
  return id;
}

void PerfBehaviour::on_stream_opened(const host::StreamOpened& stream, Instant now) {
  if (stream.direction == host::Direction::inbound) return serve(stream, now);
  start_run(stream, now);
}

void PerfBehaviour::on_stream_open_failed(const host::StreamOpenFailed& failed, Instant) {
  if (pending_.erase(failed.tag)) results_.push_back({failed.tag, failed.error});
}

void PerfBehaviour::serve(const host::StreamOpened& stream, Instant now) {
  if (served_ >= config_.concurrent_streams_max)
    return refuse(
        stream.ref, stream.peer, stream.remote, "limit",
        "concurrent_streams_max reached (" + std::to_string(config_.concurrent_streams_max) + ")");
  // One peer cannot take every slot: perf is a measurement, one stream per peer measures it.
  if (served_by_peer_[stream.peer] >= config_.streams_per_peer_max) {
    if (served_by_peer_[stream.peer] == 0) served_by_peer_.erase(stream.peer);
    return refuse(
        stream.ref, stream.peer, stream.remote, "limit",
        "streams_per_peer_max reached (" + std::to_string(config_.streams_per_peer_max) + ")");
  }
  ++served_;
  ++served_by_peer_[stream.peer];
  Transfer& t = transfers_[stream.ref];
  t.ref = stream.ref;
  t.peer = stream.peer;
  t.remote = stream.remote;
  t.started = now;
  t.deadline = now + config_.stall_timeout;
  actions_.push_back(host::ReadBytes{stream.ref, config_.chunk_bytes});
}

void PerfBehaviour::start_run(const host::StreamOpened& stream, Instant now) {
  auto pending = pending_.find(stream.tag);
  if (pending == pending_.end()) {
    actions_.push_back(host::AbortStream{stream.ref, "no perf run waits for this stream"});
    return;
  }
  Transfer& t = transfers_[stream.ref];
  t.ref = stream.ref;
  t.peer = stream.peer;
  t.remote = stream.remote;
  t.ours = true;
  t.run = stream.tag;
  t.phase = Phase::upload;
  t.upload_bytes = pending->second.upload_bytes;
  t.download_bytes = pending->second.download_bytes;
  t.started = pending->second.started;
  t.upload_start = now;
  t.unsent = t.upload_bytes;
  t.deadline = now + config_.stall_timeout;
  pending_.erase(pending);
  Bytes request(kRequestBytes);
  put_u64_be(request.data(), t.download_bytes);
  actions_.push_back(host::SendMessage{t.ref, std::move(request), 0});
  actions_.push_back(host::ReadBytes{t.ref, config_.chunk_bytes});
  send_more(t, now);
}

// Keeps chunks_in_flight chunks queued until this side's bytes are all out, then closes our side.
void PerfBehaviour::send_more(Transfer& t, Instant now) {
  while (t.unsent > 0 && t.sizes_queued.size() < config_.chunks_in_flight) {
    size_t len = size_t(std::min<uint64_t>(t.unsent, config_.chunk_bytes));
    actions_.push_back(host::SendBytes{t.ref, {zeros_, 0, len}, next_token_++});
    t.sizes_queued.push_back(len);
    t.unsent -= len;
  }
  if (t.unsent > 0 || !t.sizes_queued.empty()) return;
  actions_.push_back(host::CloseWrite{t.ref});
  if (t.ours) {
    t.upload_end = now;
    t.phase = Phase::download;
  } else {
    t.phase = Phase::done;  // the runtime's close linger bounds the rest
    t.deadline.reset();
  }
}

// A whole chunk moved (in either direction): the stall deadline starts again.
void PerfBehaviour::moved(Transfer& t, size_t bytes, Instant now) {
  t.moved_since_mark += bytes;
  if (t.moved_since_mark < config_.chunk_bytes || !t.deadline) return;
  t.moved_since_mark = 0;
  t.deadline = now + config_.stall_timeout;
}

void PerfBehaviour::on_message(host::StreamRef ref, Bytes, Instant) {
  // Byte streams carry no messages; a runtime that delivers one is broken, the stream too.
  actions_.push_back(host::AbortStream{ref, "a message on a byte stream"});
}

// The server's first bytes are the request; the rest of `data` is upload.
void PerfBehaviour::take_request(Transfer& t, BytesView& data) {
  size_t take = std::min(kRequestBytes - t.header.size(), data.size());
  t.header.insert(t.header.end(), data.begin(), data.begin() + ptrdiff_t(take));
  data = data.subspan(take);
  if (t.header.size() < kRequestBytes) return;
  t.download_bytes = get_u64_be(t.header.data());
  t.phase = Phase::upload;
  if (t.download_bytes > config_.download_bytes_max)
    refuse(t.ref, t.peer, t.remote, "too_large",
           "asked for " + std::to_string(t.download_bytes) + " bytes; download_bytes_max is " +
               std::to_string(config_.download_bytes_max));
}

void PerfBehaviour::on_bytes(host::StreamRef ref, BytesView data, Instant now) {
  auto it = transfers_.find(ref);
  if (it == transfers_.end()) return;
  Transfer& t = it->second;
  const size_t n = data.size();
  if (!t.ours && t.phase == Phase::request) {
    take_request(t, data);
    if (!transfers_.count(ref)) return;  // refused
  }
  t.received += data.size();
  moved(t, n, now);
  actions_.push_back(host::ReadBytes{ref, n});  // the credit stays at one chunk
}

void PerfBehaviour::on_message_sent(host::StreamRef ref, uint64_t, Instant now) {
  auto it = transfers_.find(ref);
  if (it == transfers_.end() || it->second.sizes_queued.empty()) return;
  Transfer& t = it->second;
  size_t len = t.sizes_queued.front();
  t.sizes_queued.pop_front();
  moved(t, len, now);
  send_more(t, now);
}

void PerfBehaviour::on_stream_finished(host::StreamRef ref, Instant now) {
  auto it = transfers_.find(ref);
  if (it == transfers_.end()) return;
  Transfer& t = it->second;
  if (t.ours) {
    if (t.received != t.download_bytes)
      return finish_run(
          t, make_error(Errc::protocol, "perf: asked for " + std::to_string(t.download_bytes) +
                                            " bytes, received " + std::to_string(t.received)));
    PerfResult r{.upload_bytes = t.upload_bytes,
                 .download_bytes = t.received,
                 .upload_time = t.upload_end - t.upload_start,
                 .download_time = now - t.upload_end,
                 .total_time = now - t.started};
    return finish_run(t, r);
  }
  if (t.phase == Phase::request) {  // closed before its request was whole: nothing to answer
    actions_.push_back(host::AbortStream{ref, "the perf request ended early"});
    return;
  }
  t.upload_bytes = t.received;
  t.phase = Phase::download;
  t.unsent = t.download_bytes;
  send_more(t, now);
}

void PerfBehaviour::finish_run(Transfer& t, Result<PerfResult> result) {
  if (t.phase == Phase::done) return;
  t.phase = Phase::done;
  t.deadline.reset();
  results_.push_back({t.run, std::move(result)});
  if (!results_.back().result) actions_.push_back(host::AbortStream{t.ref, "perf run failed"});
}

void PerfBehaviour::on_stream_closed(host::StreamRef ref, const Error& why, Instant) {
  auto it = transfers_.find(ref);
  if (it == transfers_.end()) return;
  Transfer& t = it->second;
  if (t.ours) {
    finish_run(t, why);  // no-op when the run already ended
  } else {
    forget_served(t);
  }
  transfers_.erase(it);
}

void PerfBehaviour::forget_served(const Transfer& t) {
  --served_;
  auto peer = served_by_peer_.find(t.peer);
  if (peer != served_by_peer_.end() && --peer->second == 0) served_by_peer_.erase(peer);
}

void PerfBehaviour::on_timer(Instant now) {
  std::vector<host::StreamRef> stalled;
  for (auto& [ref, t] : transfers_)
    if (t.deadline && *t.deadline <= now) stalled.push_back(ref);
  for (auto& ref : stalled) {
    Transfer& t = transfers_.at(ref);
    static const char* const kPhaseNames[] = {"request", "upload", "download", "done"};
    const std::string detail = std::string(kPhaseNames[int(t.phase)]) +
                               ": less than a chunk moved in " +
                               std::to_string(to_ms(config_.stall_timeout)) + " ms";
    if (t.ours) {
      finish_run(t, make_error(Errc::timeout, detail));
    } else {
      refuse(ref, t.peer, t.remote, "stalled", detail);
    }
  }
}

std::optional<Instant> PerfBehaviour::next_timer() const {
  std::optional<Instant> next;
  for (auto& [ref, t] : transfers_)
    if (t.deadline && (!next || *t.deadline < *next)) next = t.deadline;
  return next;
}

// Resets an inbound stream and reports why. A refused stream's slot is given back at once.
void PerfBehaviour::refuse(const host::StreamRef& ref, const PeerId& peer, const Multiaddr& remote,
                           std::string reason, std::string detail) {
  if (refusals_.size() >= kRefusalsQueuedMax) refusals_.pop_front();
  refusals_.push_back({peer, remote, std::move(reason), std::move(detail)});
  actions_.push_back(host::AbortStream{ref, refusals_.back().detail});
  auto it = transfers_.find(ref);
  if (it == transfers_.end()) return;
  forget_served(it->second);
  transfers_.erase(it);
}

std::optional<PerfRunDone> PerfBehaviour::poll_result() { return host::take_front(results_); }
std::optional<PerfRefusal> PerfBehaviour::poll_refusal() { return host::take_front(refusals_); }
std::optional<host::BehaviourAction> PerfBehaviour::poll_action() {
  return host::take_front(actions_);
}

}  // namespace agora::behaviour
