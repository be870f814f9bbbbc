// KadService: the requests we send (one per stream) and the streams peers open to us.
#include <algorithm>

#include "codec/lp_frame.h"
#include "host/address_filter.h"
#include "host/ip_group.h"
#include "node/kad_service_internal.h"

namespace agora {

using kad::kProtocolId;

namespace internal {

std::vector<Bytes> dialable_addrs(const std::vector<Multiaddr>& addrs, const PeerId& peer) {
  std::vector<Bytes> out;
  for (const Multiaddr& addr : addrs) {
    auto own = address_of(addr, peer);
    if (own && is_dialable_tcp(*own)) out.push_back(own->to_bytes());
  }
  return out;
}

}  // namespace internal

namespace {

// Kind of bad input for a frame or decode error; nullptr when it is not the peer's fault (the
// stream was reset or closed, by the peer or by a deadline).
const char* frame_fault_kind(const Error& e, bool decoding);
// The same for a decode error, which is always the peer's fault.
const char* decode_fault_kind(const Error& e) {
  const char* kind = frame_fault_kind(e, true);
  return kind ? kind : "malformed";
}

const char* frame_fault_kind(const Error& e, bool decoding) {
  switch (e.code) {
    case Errc::too_large:
      return decoding ? "over_limit" : "oversized";
    case Errc::invalid_input:
    case Errc::truncated:
      return "malformed";
    default:
      return nullptr;
  }
}

}  // namespace

// Reads LP frames off a stream; nullopt at a clean end between frames.
class KadService::FrameReader {
 public:
  explicit FrameReader(size_t frame_bytes_max) : lp_(frame_bytes_max) {}
  rt::awaitable<Result<std::optional<Bytes>>> next(rt::Stream& stream) {
    for (;;) {
      auto frame = lp_.next();
      if (!frame) co_return frame.error();
      if (*frame) co_return std::move(*frame);
      auto n = co_await stream.read_some(buf_, sizeof buf_);
      if (!n) co_return n.error();
      if (*n == 0) {
        if (lp_.buffered() > 0)
          co_return make_error(Errc::truncated, "kad: stream ended mid-message");
        co_return std::optional<Bytes>();
      }
      lp_.feed({buf_, *n});
    }
  }

 private:
  LpReader lp_;
  uint8_t buf_[4096];
};

void KadService::request_failed(kad::RequestId id, const char* reason, const std::string& detail) {
  metrics_->requests_failed(reason).inc();
  kad_.on_request_failed(id, detail, rt::now());
  pump();
}

rt::awaitable<void> KadService::send_request(kad::OutboundRequest r, std::weak_ptr<int> alive) {
  const PeerId peer = r.to.id;
  auto conn = co_await dial(r.to, alive);
  if (alive.expired() || stopped_) co_return;
  if (!conn) co_return request_failed(r.id, "dial", "dial: " + conn.error().message);
  std::vector<std::string> protocols{std::string(kProtocolId)};  // named: see upgrade.cpp on GCC 12
  auto opened = co_await swarm_.open_stream(*conn, protocols);
  if (alive.expired() || stopped_) co_return;
  if (!opened) co_return request_failed(r.id, "stream", "stream: " + opened.error().message);
  std::shared_ptr<rt::Stream> stream = *opened;
  // A silent peer cannot hold this coroutine (the core times the request out on its own).
  std::weak_ptr<rt::Stream> weak = stream;
  rt::Deadline deadline(swarm_.executor(), config_.kad.request_timeout, [weak] {
    if (auto s = weak.lock()) s->reset();
  });
  const Bytes frame_out = lp_encode(kad::encode(r.message));  // named: see run() on GCC 12
  Status written = co_await stream->write_all(frame_out);
  if (alive.expired() || stopped_) co_return;
  if (!written) co_return request_failed(r.id, "stream", "write: " + written.error().message);
  uint8_t rest[64];
  if (!r.expect_response) {
    // ADD_PROVIDER: done once the peer has read it and closed its side (or the deadline hits).
    stream->close_write();
    for (int i = 0; i < 4; ++i) {
      auto n = co_await stream->read_some(rest, sizeof rest);
      if (!n || *n == 0) break;
    }
    co_return;
  }
  FrameReader reader(config_.kad.limits.message_bytes_max);
  auto frame = co_await reader.next(*stream);
  if (alive.expired() || stopped_) co_return;
  if (!frame || !*frame) {
    stream->reset();
    if (deadline.expired()) co_return request_failed(r.id, "timeout", "timeout");
    if (!frame) {
      if (const char* kind = frame_fault_kind(frame.error(), false)) {
        bad_input(peer, kind, "answer: " + frame.error().message);
        co_return request_failed(r.id, "bad_answer", frame.error().message);
      }
      co_return request_failed(r.id, "stream", "read: " + frame.error().message);
    }
    co_return request_failed(r.id, "stream", "stream closed without an answer");
  }
  auto message = kad::decode(**frame, config_.kad.limits);
  if (!message) {
    stream->reset();
    bad_input(peer, decode_fault_kind(message.error()), "answer: " + message.error().message);
    co_return request_failed(r.id, "bad_answer", message.error().message);
  }
  kad_.on_response(r.id, *message, rt::now());
  pump();
  // Close cleanly: our side, then wait (bounded by the deadline) for the peer's.
  stream->close_write();
  for (int i = 0; i < 4; ++i) {
    auto n = co_await stream->read_some(rest, sizeof rest);
    if (!n || *n == 0) break;
  }
}

rt::awaitable<Result<std::shared_ptr<rt::Connection>>> KadService::connect(kad::PeerInfo peer) {
  co_return co_await dial(std::move(peer), alive_);
}

rt::awaitable<Result<std::shared_ptr<rt::Connection>>> KadService::dial(kad::PeerInfo peer,
                                                                        std::weak_ptr<int> alive) {
  if (auto conn = swarm_.connection_to(peer.id)) co_return conn;
  if (peer.id == swarm_.local_peer()) co_return make_error(Errc::invalid_input, "that is us");
  if (auto it = dials_.find(peer.id); it != dials_.end()) {
    std::shared_ptr<Dial> d = it->second;
    rt::Waiter mine(swarm_.executor());
    d->waiters.push_back(&mine);
    while (!d->done && !alive.expired() && !stopped_) co_await mine.wait();
    std::erase(d->waiters, &mine);  // d is ours too: safe even if the service is gone
    if (!d->done) co_return make_error(Errc::closed, "the DHT stopped");
    co_return d->result;
  }
  auto d = std::make_shared<Dial>();
  dials_[peer.id] = d;
  // The addresses the DHT gave first, then those identify reported; each once.
  std::vector<Multiaddr> addrs;
  auto consider = [&](const Multiaddr& a) {
    auto own = address_of(a, peer.id);
    if (!own || !is_dialable_tcp(*own)) return;
    if (std::find(addrs.begin(), addrs.end(), *own) == addrs.end()) addrs.push_back(*own);
  };
  for (const Bytes& b : peer.addrs)
    if (auto a = Multiaddr::from_bytes(b)) consider(*a);
  if (const IdentifyInfo* info = identify_.peer_info(peer.id))
    for (const Multiaddr& a : info->listen_addrs) consider(a);
  if (addrs.size() > config_.dial_addrs_per_peer_max) addrs.resize(config_.dial_addrs_per_peer_max);
  Result<std::shared_ptr<rt::Connection>> result =
      make_error(Errc::not_found, "no dialable address for " + peer.id.to_string());
  if (!addrs.empty()) {
    result = co_await swarm_.dial_peer(peer.id, addrs);
    if (alive.expired()) co_return make_error(Errc::closed, "the DHT stopped");
  }
  d->done = true;
  d->result = result;
  if (auto it = dials_.find(peer.id); it != dials_.end() && it->second == d) dials_.erase(it);
  for (rt::Waiter* w : d->waiters) w->notify();
  co_return result;
}

rt::awaitable<void> KadService::serve(std::shared_ptr<rt::Stream> stream) {
  const PeerId peer = stream->connection().info().peer;
  auto slot = inbound_streams_.try_emplace(peer, 0).first;
  if (slot->second >= config_.inbound_streams_per_peer_max) {
    metrics_->inbound_streams_refused.inc();
    observe::Event e;
    e.type = observe::EventType::limit_hit;
    e.peer = peer.to_string();
    e.protocol = std::string(kProtocolId);
    e.reason = "inbound_streams_per_peer_max";
    e.detail = "kad stream refused: " + std::to_string(slot->second) + " open";
    events_.record(std::move(e));
    stream->reset();
    co_return;
  }
  ++slot->second;
  std::weak_ptr<int> alive = alive_;
  // Gives the slot back on every exit (map iterators stay valid until erased).
  struct Release {
    KadService& svc;
    std::map<PeerId, size_t>::iterator slot;
    std::weak_ptr<int> alive;
    ~Release() {
      if (alive.expired()) return;
      if (--slot->second == 0) svc.inbound_streams_.erase(slot);
    }
  } release{*this, slot, alive};

  const kad::MessageLimits& limits = config_.kad.limits;
  const Bytes group = ip_group(stream->connection().info().remote_addr);
  FrameReader reader(limits.message_bytes_max);
  for (size_t handled = 0; handled < config_.requests_per_stream_max; ++handled) {
    std::weak_ptr<rt::Stream> weak = stream;
    rt::Deadline idle(swarm_.executor(), config_.inbound_idle_timeout, [weak] {
      if (auto s = weak.lock()) s->reset();
    });
    auto frame = co_await reader.next(*stream);
    idle.cancel();
    if (alive.expired() || stopped_) co_return;
    if (!frame) {
      if (const char* kind = frame_fault_kind(frame.error(), false))
        bad_input(peer, kind, "request: " + frame.error().message);
      stream->reset();
      co_return;
    }
    if (!*frame) break;  // the peer is done
    auto request = kad::decode(**frame, limits);
    if (!request) {
      bad_input(peer, decode_fault_kind(request.error()), "request: " + request.error().message);
      stream->reset();
      co_return;
    }
    metrics_->inbound(request->type).inc();
    const Instant now = rt::now();
    auto answer = kad_.handle_request(peer, group, *request, now);
    if (answer && request->type == kad::MessageType::add_provider)
      answered_add_provider(peer, *request, now);
    pump();
    if (!swarm_.connection_to(peer)) {  // banned or gone: what it sent after is not handled
      stream->reset();
      co_return;
    }
    if (!answer) {
      const char* kind = answer.error().code == Errc::limit             ? "not_stored"
                         : request->type == kad::MessageType::put_value ? "invalid_record"
                                                                        : "refused";
      bad_input(peer, kind, answer.error().message);
      stream->reset();
      co_return;
    }
    if (!*answer) continue;  // ADD_PROVIDER: no response
    const Bytes frame_out = lp_encode(kad::encode(**answer));
    Status written = co_await stream->write_all(frame_out);
    if (alive.expired() || stopped_) co_return;
    if (!written) {
      stream->reset();
      co_return;
    }
  }
  stream->close_write();
}

// A refreshed record keeps the group it was first added under (the store's quota counts it
// there), so the row says that group, not the group of the connection that refreshed it.
void KadService::answered_add_provider(const PeerId& from, const kad::Message& request,
                                       Instant now) {
  if (!db_) return;
  for (const kad::ProviderRecord& r : kad_.providers().records(request.key, now)) {
    if (r.peer.id != from || r.added != now) continue;
    pending_->providers[{request.key, from}] =
        store::DhtProviderRow{request.key, from, r.peer.addrs, internal::unix_ms_now(), r.group};
  }
  if (pending_->providers.size() >= config_.provider_rows_pending_max) save(false);
}

}  // namespace agora
