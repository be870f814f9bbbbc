#include "behaviour/xfer_behaviour.h"

#include <algorithm>

namespace agora::behaviour {

namespace {
constexpr size_t kEventsMax = 65536;  // not yet taken by the owner (leaves are taken at once)
}

XferBehaviour::XferBehaviour(XferConfig config, XferBlocks& blocks)
    : config_(config), blocks_(blocks) {
  config_.download.leaves_in_flight_max =
      std::min(config_.download.leaves_in_flight_max, config_.limits.leaves_in_flight_max);
}

std::vector<host::ProtocolSpec> XferBehaviour::protocols() const {
  host::ProtocolSpec spec;
  spec.name = std::string(kXferProtocol);
  // SendMessage carries headers and control frames; leaves and nodes go as SendBytes.
  spec.framing = {.kind = host::Framing::Kind::bytes,
                  .message_bytes_max = config_.limits.control_body_bytes_max + 32};
  spec.inbound = config_.serve;
  spec.config.limits.all_peers = host::kAllPeersLimits;
  spec.send_queue_bytes_max =
      (config_.blocks_queued_max + 1) * (config_.limits.block_bytes_max + 32) +
      config_.limits.control_body_bytes_max;
  spec.close_linger = config_.stall_timeout;
  host::ProtocolSpec traced = spec;  // the same, with a trace context in OPEN
  traced.name = std::string(kXferTracedProtocol);
  return {traced, spec};
}

void XferBehaviour::on_stream_opened(const host::StreamOpened& s, Instant now) {
  if (s.direction == host::Direction::inbound) return serve(s, now);
  getter_opened(s, now);
}

void XferBehaviour::on_message(host::StreamRef ref, Bytes, Instant) {
  actions_.push_back(host::AbortStream{ref, "a message on a byte stream"});
}

void XferBehaviour::on_bytes(host::StreamRef ref, BytesView data, Instant now) {
  if (auto it = served_.find(ref); it != served_.end())
    return served_bytes(ref, it->second, data, now);
  if (auto it = getters_.find(ref); it != getters_.end()) getter_bytes(ref, it->second, data, now);
}

void XferBehaviour::on_message_sent(host::StreamRef ref, uint64_t, Instant now) {
  auto it = served_.find(ref);
  if (it == served_.end() || it->second.blocks_queued == 0) return;
  --it->second.blocks_queued;
  // Counted when written, not when queued: behind a bandwidth limit the two differ by seconds.
  ++stats_.leaves_sent;
  auto [index, bytes] = it->second.queued_sent.front();
  it->second.queued_sent.pop_front();
  stats_.leaf_bytes_sent += bytes;
  seed_sent(it->second, index, now);
  it->second.deadline = now + config_.stall_timeout;
  send_leaves(ref, it->second, now);
}

void XferBehaviour::on_stream_finished(host::StreamRef ref, Instant now) {
  if (auto it = served_.find(ref); it != served_.end()) {
    it->second.peer_closed = true;
    send_leaves(ref, it->second, now);  // closes our side once everything asked is out
    fill_free_slots(now);               // it asks for nothing more: its slot goes to another
    return;
  }
  if (getters_.count(ref)) {
    // The server closed its side: whatever it did not answer goes back to the others.
    actions_.push_back(host::AbortStream{ref, "the server closed its side"});
    getter_gone(ref, make_error(Errc::closed, "the peer ended the transfer"), now);
  }
}

void XferBehaviour::on_stream_closed(host::StreamRef ref, const Error& why, Instant now) {
  if (auto it = served_.find(ref); it != served_.end()) {
    auto peer = served_by_peer_.find(it->second.peer);
    if (peer != served_by_peer_.end() && --peer->second == 0) served_by_peer_.erase(peer);
    seed_end(it->second);
    served_.erase(it);
    fill_free_slots(now);
    return;
  }
  getter_gone(ref, why, now);
}

void XferBehaviour::on_timer(Instant now) {
  seed_offer_again(now);
  if (next_rechoke_ && *next_rechoke_ <= now) {
    rechoke(now);
    next_rechoke_.reset();
    if (!served_.empty() || !received_from_.empty()) next_rechoke_ = now + config_.rechoke_interval;
  }
  // A choked stream waits for its turn: no stall deadline on either side.
  std::vector<host::StreamRef> stalled;
  for (auto& [ref, st] : served_)
    if (!st.choked && st.deadline <= now) stalled.push_back(ref);
  for (auto& [ref, g] : getters_)
    if (!g.choked && g.deadline <= now) stalled.push_back(ref);
  for (const host::StreamRef& ref : stalled) {
    std::string why = "nothing moved for " + std::to_string(to_ms(config_.stall_timeout)) + " ms";
    actions_.push_back(host::AbortStream{ref, why});
    if (getters_.count(ref)) getter_gone(ref, make_error(Errc::timeout, why), now);
  }
}

std::optional<Instant> XferBehaviour::next_timer() const {
  std::optional<Instant> next;
  auto consider = [&next](Instant t) {
    if (!next || t < *next) next = t;
  };
  for (auto& [ref, st] : served_) {
    if (!st.choked) consider(st.deadline);
    if (!st.refused.empty()) consider(st.refused.begin()->first);
  }
  for (auto& [ref, g] : getters_)
    if (!g.choked) consider(g.deadline);
  if (next_rechoke_) consider(*next_rechoke_);
  return next;
}

void XferBehaviour::misbehaved(host::StreamRef ref, const PeerId& peer, const std::string& why) {
  ++stats_.peers_misbehaved;
  actions_.push_back(host::AbortStream{ref, why});
  actions_.push_back(host::PunishPeer{peer, config_.misbehaviour_ban, "xfer: " + why});
  if (events_.size() < kEventsMax) emit(XferMisbehaved{peer, why});
}

std::optional<XferEvent> XferBehaviour::poll_event() { return host::take_front(events_); }
std::optional<host::BehaviourAction> XferBehaviour::poll_action() {
  return host::take_front(actions_);
}

}  // namespace agora::behaviour
