#include "behaviour/ping_behaviour.h"

#include <algorithm>

namespace agora::behaviour {

using host::StreamRef;

PingBehaviour::PingBehaviour(PingConfig config, host::Entropy entropy)
    : config_(config), entropy_(std::move(entropy)) {}

std::vector<host::ProtocolSpec> PingBehaviour::protocols() const {
  host::ProtocolSpec spec;
  spec.name = kPingProtocol;
  spec.framing = {.kind = host::Framing::Kind::fixed_size, .message_bytes_max = kPingPayloadBytes};
  spec.config.limits.all_peers = config_.all_peers;
  spec.config.limits.per_peer = {.streams_inbound_max = config_.inbound_streams_per_peer_max,
                                 .streams_outbound_max = config_.outbound_streams_per_peer_max,
                                 .memory_bytes_max = 64u << 10};
  spec.send_queue_bytes_max = 64 * kPingPayloadBytes;  // an echo the peer does not read, bounded
  return {spec};
}

Result<PingId> PingBehaviour::ping(const PeerId& peer, int count, Instant now) {
  if (count < 1) return make_error(Errc::invalid_input, "ping count must be at least 1");
  if (pings_.size() + results_.size() >= config_.pings_in_flight_max)
    return make_error(Errc::limit, "too many pings in flight or unread (" +
                                       std::to_string(config_.pings_in_flight_max) + ")");
  PingId id = next_id_++;
  Ping& p = pings_[id];
  p.peer = peer;
  p.count = count;
  p.deadline = now + config_.reply_timeout;
  actions_.push_back(host::OpenStream{.peer = peer, .protocol = kPingProtocol, .tag = id});
  return id;
}

std::optional<PingResult> PingBehaviour::poll_result() { return host::take_front(results_); }

void PingBehaviour::send_next(Ping& p, Instant now) {
  p.sent.assign(kPingPayloadBytes, 0);
  entropy_(p.sent);
  p.sent_at = now;
  p.deadline = now + config_.reply_timeout;
  actions_.push_back(host::SendMessage{*p.ref, p.sent});
}

// Ends ping `id` with `result`. Its stream, if any, is closed cleanly on success (we wait a
// bounded time for the peer's EOF) and reset on failure.
void PingBehaviour::finish(PingId id, Result<std::vector<Duration>> result) {
  auto it = pings_.find(id);
  if (it == pings_.end()) return;
  if (it->second.ref) {
    StreamRef ref = *it->second.ref;
    by_stream_.erase(ref);
    if (result.ok()) {
      actions_.push_back(host::CloseWrite{ref});
      closing_[ref] = it->second.deadline;
    } else {
      actions_.push_back(host::AbortStream{ref, result.error().message});
    }
  }
  results_.push_back({id, it->second.peer, std::move(result)});
  pings_.erase(it);
}

void PingBehaviour::on_stream_opened(const host::StreamOpened& stream, Instant now) {
  if (stream.direction == host::Direction::inbound) {
    served_[stream.ref] = false;
    return;
  }
  auto it = pings_.find(stream.tag);
  if (it == pings_.end()) {  // the ping timed out while the stream was opening
    actions_.push_back(host::AbortStream{stream.ref, "ping no longer wanted"});
    return;
  }
  it->second.ref = stream.ref;
  by_stream_[stream.ref] = stream.tag;
  send_next(it->second, now);
}

void PingBehaviour::on_stream_open_failed(const host::StreamOpenFailed& failed, Instant) {
  finish(failed.tag, failed.error);
}

void PingBehaviour::on_message(StreamRef ref, Bytes message, Instant now) {
  if (auto s = served_.find(ref); s != served_.end()) {
    actions_.push_back(host::SendMessage{ref, std::move(message)});
    return;
  }
  auto b = by_stream_.find(ref);
  if (b == by_stream_.end()) {
    if (!closing_.count(ref)) actions_.push_back(host::AbortStream{ref, "unexpected ping reply"});
    return;
  }
  PingId id = b->second;
  Ping& p = pings_.at(id);
  if (message != p.sent) {
    finish(id, make_error(Errc::protocol, "ping reply does not match the payload"));
    return;
  }
  p.rtts.push_back(now - p.sent_at);
  if (int(p.rtts.size()) == p.count) {
    p.deadline = now + config_.close_timeout;
    finish(id, std::move(p.rtts));
  } else {
    send_next(p, now);
  }
}

void PingBehaviour::on_stream_finished(StreamRef ref, Instant) {
  if (auto s = served_.find(ref); s != served_.end()) {
    if (!s->second) actions_.push_back(host::CloseWrite{ref});  // the echo ends with the peer
    s->second = true;
    return;
  }
  if (auto b = by_stream_.find(ref); b != by_stream_.end())
    finish(b->second, make_error(Errc::truncated, "the peer closed the ping stream early"));
}

void PingBehaviour::on_stream_closed(StreamRef ref, const Error& why, Instant) {
  served_.erase(ref);
  closing_.erase(ref);
  if (auto b = by_stream_.find(ref); b != by_stream_.end()) finish(b->second, why);
}

void PingBehaviour::on_timer(Instant now) {
  std::vector<PingId> late;
  for (const auto& [id, p] : pings_)
    if (p.deadline <= now) late.push_back(id);
  for (PingId id : late) finish(id, make_error(Errc::timeout, "ping timed out"));
  for (auto it = closing_.begin(); it != closing_.end();) {
    if (it->second <= now) {
      actions_.push_back(host::AbortStream{it->first, "no EOF from the peer after our last ping"});
      it = closing_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Instant> PingBehaviour::next_timer() const {
  std::optional<Instant> next;
  auto consider = [&](Instant t) { next = next ? std::min(*next, t) : t; };
  for (const auto& [id, p] : pings_) consider(p.deadline);
  for (const auto& [ref, t] : closing_) consider(t);
  return next;
}

std::optional<host::BehaviourAction> PingBehaviour::poll_action() {
  return host::take_front(actions_);
}

}  // namespace agora::behaviour
