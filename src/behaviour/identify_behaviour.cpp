#include "behaviour/identify_behaviour.h"

#include <algorithm>

namespace agora::behaviour {

using host::StreamRef;
using identify::IdentifyInfo;

IdentifyBehaviour::IdentifyBehaviour(IdentifyConfig config, LocalInfo local_info)
    : config_(std::move(config)), local_info_(std::move(local_info)) {}

std::vector<host::ProtocolSpec> IdentifyBehaviour::protocols() const {
  std::vector<host::ProtocolSpec> specs;
  for (const char* name : {kIdentifyProtocol, kIdentifyPushProtocol}) {
    host::ProtocolSpec s;
    s.name = name;
    s.framing = {.kind = host::Framing::Kind::length_prefixed,
                 .message_bytes_max = config_.limits.message_bytes_max};
    s.config.limits = config_.stream_limits;
    s.send_queue_bytes_max = 2 * config_.limits.message_bytes_max + 64;
    specs.push_back(std::move(s));
  }
  return specs;
}

const IdentifyInfo* IdentifyBehaviour::peer_info(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second;
}

std::optional<Identified> IdentifyBehaviour::poll_event() { return host::take_front(events_); }

void IdentifyBehaviour::emit(Identified event) {
  if (events_.size() >= config_.events_max) {
    events_.pop_front();
    ++events_dropped_;
  }
  events_.push_back(std::move(event));
}

void IdentifyBehaviour::on_connection_opened(const host::ConnectionOpened& c, Instant) {
  ++connections_[c.peer];
  uint64_t tag = next_tag_++;
  opening_[tag] = {c.peer, c.remote};
  // On this connection: each is identified, so one closed at once (a duplicate the peer drops)
  // cannot take the only exchange with it.
  actions_.push_back(host::OpenStream{
      .peer = c.peer, .protocol = kIdentifyProtocol, .tag = tag, .connection = c.connection});
}

void IdentifyBehaviour::on_connection_ended(const host::ConnectionEnded& c, Instant) {
  auto it = connections_.find(c.peer);
  if (it != connections_.end() && (c.last || --it->second == 0)) connections_.erase(it);
  if (!c.last) return;
  // Opens to a peer that is gone may never be answered: forget them (a late answer still works).
  for (auto o = opening_.begin(); o != opening_.end();)
    o = o->second.first == c.peer ? opening_.erase(o) : std::next(o);
}

void IdentifyBehaviour::on_stream_opened(const host::StreamOpened& s, Instant now) {
  Exchange x{.peer = s.peer, .remote = s.remote, .deadline = now + config_.exchange_timeout};
  if (s.direction == host::Direction::outbound) {
    auto it = opening_.find(s.tag);
    if (it != opening_.end()) {
      if (x.remote.empty()) x.remote = it->second.second;
      opening_.erase(it);
    }
    x.kind = Kind::ours;
    actions_.push_back(host::CloseWrite{s.ref});  // we ask by opening; the peer answers
  } else if (s.protocol == kIdentifyProtocol) {
    x.kind = Kind::served;
    x.done = true;
    actions_.push_back(host::SendMessage{s.ref, identify::encode_identify(local_info_(s.remote))});
    actions_.push_back(host::CloseWrite{s.ref});
  } else {
    x.kind = Kind::push;
  }
  exchanges_[s.ref] = std::move(x);
}

void IdentifyBehaviour::on_stream_open_failed(const host::StreamOpenFailed& f, Instant) {
  Multiaddr remote;
  if (auto it = opening_.find(f.tag); it != opening_.end()) {
    remote = it->second.second;
    opening_.erase(it);
  }
  emit({f.peer, remote, false, f.error});
}

void IdentifyBehaviour::fail(StreamRef ref, Exchange& x, Error why) {
  if (!x.done && x.kind == Kind::ours) emit({x.peer, x.remote, false, why});
  x.done = true;
  actions_.push_back(host::AbortStream{ref, "identify: " + why.message});
}

void IdentifyBehaviour::on_message(StreamRef ref, Bytes message, Instant) {
  auto it = exchanges_.find(ref);
  if (it == exchanges_.end() || it->second.done) return;  // served: the peer's bytes are ignored
  Exchange& x = it->second;
  if (++x.messages > config_.messages_per_stream_max)
    return fail(ref, x, make_error(Errc::too_large, "too many identify messages on one stream"));
  auto info = identify::decode_identify(message, config_.limits);
  if (!info) return fail(ref, x, info.error());
  if (x.merged) {
    identify::merge_identify(*x.merged, *info);
  } else {
    x.merged = std::move(*info);
  }
}

void IdentifyBehaviour::on_stream_finished(StreamRef ref, Instant) {
  auto it = exchanges_.find(ref);
  if (it == exchanges_.end() || it->second.done) return;
  Exchange& x = it->second;
  if (!x.merged) return fail(ref, x, make_error(Errc::protocol, "no identify message"));
  answered(ref, x);
}

void IdentifyBehaviour::answered(StreamRef ref, Exchange& x) {
  x.done = true;
  if (x.kind == Kind::push) {
    actions_.push_back(host::CloseWrite{ref});
    auto known = peers_.find(x.peer);
    if (known != peers_.end()) {
      identify::merge_identify(known->second, *x.merged);
      emit({x.peer, x.remote, true, known->second});
    } else {
      emit({x.peer, x.remote, true, *x.merged});
      remember(x.peer, std::move(*x.merged));
    }
    return;
  }
  // The key in the message must be the key the connection authenticated.
  auto claimed = identify::identify_peer_id(*x.merged);
  if (!claimed || *claimed != x.peer) {
    emit({x.peer, x.remote, false,
          make_error(Errc::peer_mismatch,
                     "identify public key does not match the connection's peer")});
    actions_.push_back(host::PunishPeer{.peer = x.peer, .why = "identify public key mismatch"});
    return;
  }
  emit({x.peer, x.remote, false, *x.merged});
  remember(x.peer, std::move(*x.merged));
}

void IdentifyBehaviour::remember(const PeerId& peer, IdentifyInfo info) {
  if (peers_.size() >= config_.peers_max && !peers_.count(peer)) {
    // Forget someone we are no longer connected to; keep connected peers.
    for (auto it = peers_.begin(); it != peers_.end(); ++it) {
      if (!connections_.count(it->first)) {
        peers_.erase(it);
        break;
      }
    }
    if (peers_.size() >= config_.peers_max) return;
  }
  peers_[peer] = std::move(info);
}

void IdentifyBehaviour::on_stream_closed(StreamRef ref, const Error& why, Instant) {
  auto it = exchanges_.find(ref);
  if (it == exchanges_.end()) return;
  if (!it->second.done && it->second.kind == Kind::ours)
    emit({it->second.peer, it->second.remote, false, why});
  exchanges_.erase(it);
}

void IdentifyBehaviour::on_timer(Instant now) {
  for (auto& [ref, x] : exchanges_)
    if (x.deadline <= now && x.deadline != Instant::max()) {
      fail(ref, x, make_error(Errc::timeout, "identify exchange timed out"));
      x.deadline = Instant::max();  // reset asked for; wait for the stream's end
    }
}

std::optional<Instant> IdentifyBehaviour::next_timer() const {
  std::optional<Instant> next;
  for (const auto& [ref, x] : exchanges_)
    if (x.deadline != Instant::max()) next = next ? std::min(*next, x.deadline) : x.deadline;
  return next;
}

std::optional<host::BehaviourAction> IdentifyBehaviour::poll_action() {
  return host::take_front(actions_);
}

}  // namespace agora::behaviour
