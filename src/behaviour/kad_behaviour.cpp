#include "behaviour/kad_behaviour.h"

#include <algorithm>

#include "host/address_filter.h"
#include "host/ip_group.h"

namespace agora::behaviour {

namespace {

host::RequestResponseConfig rr_config(const KadBehaviourConfig& c) {
  host::RequestResponseConfig r;
  r.protocol = std::string(kKadProtocol);
  r.framing = {.kind = host::Framing::Kind::length_prefixed,
               .message_bytes_max = c.kad.limits.message_bytes_max};
  r.stream.limits.all_peers = c.all_peers;
  r.stream.limits.per_peer = {.streams_inbound_max = c.inbound_streams_per_peer_max,
                              .streams_outbound_max = 64,
                              .memory_bytes_max = 4u << 20};
  r.serve = c.kad.server_mode;
  // The core bounds its own requests (alpha per query, queries_max); this only backs it up.
  r.outbound_max = 4096;
  r.inbound_max = 1024;
  r.request_timeout = c.kad.request_timeout;
  r.response_timeout = c.kad.request_timeout;
  r.idle_timeout = c.inbound_idle_timeout;
  r.send_queue_bytes_max = 2 * c.kad.limits.message_bytes_max + 64;
  return r;
}

kad::Direction direction_of(host::Direction d) {
  return d == host::Direction::inbound ? kad::Direction::inbound : kad::Direction::outbound;
}

bool lists_kad(const identify::IdentifyInfo& info) {
  return std::find(info.protocols.begin(), info.protocols.end(), kKadProtocol) !=
         info.protocols.end();
}

std::vector<Bytes> dialable(const std::vector<Multiaddr>& addrs, const PeerId& peer) {
  std::vector<Bytes> out;
  for (const Multiaddr& addr : addrs) {
    auto own = host::address_of(addr, peer);
    if (own && host::is_dialable_tcp(*own)) out.push_back(own->to_bytes());
  }
  return out;
}

// Kind of bad input for a stream error; empty when it is not the peer's fault.
std::string stream_fault_kind(const Error& e) {
  switch (e.code) {
    case Errc::too_large:
      return "oversized";
    case Errc::invalid_input:
    case Errc::truncated:
      return "malformed";
    default:
      return "";
  }
}

std::string decode_fault_kind(const Error& e) {
  return e.code == Errc::too_large ? "over_limit" : "malformed";
}

}  // namespace

KadBehaviour::KadBehaviour(PeerId self, KadBehaviourConfig config, IdentifyLookup identify)
    : config_(std::move(config)),
      identify_(std::move(identify)),
      kad_(std::move(self), config_.kad),
      rr_(rr_config(config_)) {}

std::optional<KadBehaviourEvent> KadBehaviour::poll_event() { return host::take_front(events_); }

void KadBehaviour::emit(KadBehaviourEvent e) {
  if (events_.size() >= config_.events_max) {
    events_.pop_front();
    ++events_dropped_;
  }
  events_.push_back(std::move(e));
}

void KadBehaviour::bad_input(const PeerId& peer, std::string kind, std::string detail) {
  emit(KadBadInput{peer, std::move(kind), std::move(detail)});
}

void KadBehaviour::request_failed(kad::RequestId id, std::string reason, const std::string& detail,
                                  Instant now) {
  emit(KadRequestFailed{std::move(reason)});
  kad_.on_request_failed(id, detail, now);
}

// The addresses the DHT gave first, then those identify reported; each once, at most
// dial_addrs_per_peer_max.
std::vector<Multiaddr> KadBehaviour::dial_addrs(const kad::PeerInfo& peer) const {
  std::vector<Multiaddr> addrs;
  auto consider = [&](const Multiaddr& a) {
    auto own = host::address_of(a, peer.id);
    if (!own || !host::is_dialable_tcp(*own)) return;
    if (std::find(addrs.begin(), addrs.end(), *own) == addrs.end()) addrs.push_back(*own);
  };
  for (const Bytes& b : peer.addrs)
    if (auto a = Multiaddr::from_bytes(b)) consider(*a);
  if (const identify::IdentifyInfo* info = identify_ ? identify_(peer.id) : nullptr)
    for (const Multiaddr& a : info->listen_addrs) consider(a);
  if (addrs.size() > config_.dial_addrs_per_peer_max) addrs.resize(config_.dial_addrs_per_peer_max);
  return addrs;
}

// Takes what the core wants sent and what it has to say, until it has nothing more.
void KadBehaviour::drain_core(Instant now) {
  bool again = true;
  while (again) {
    again = false;
    while (auto r = kad_.poll_outbound()) {
      again = true;
      emit(KadRequestSent{});
      if (r->to.id == kad_.self()) {
        if (r->expect_response) request_failed(r->id, "dial", "that is us", now);
        continue;
      }
      std::vector<Multiaddr> addrs = dial_addrs(r->to);
      std::optional<host::StreamTrace> trace;
      if (trace_of_) trace = trace_of_(r->message.key);
      auto id = rr_.request(r->to.id, kad::encode(r->message), addrs, now, r->expect_response,
                            std::move(trace));
      if (!id) {
        if (r->expect_response) request_failed(r->id, "stream", id.error().message, now);
        continue;
      }
      if (r->expect_response) requests_[*id] = r->id;
    }
    bool removed = false;
    while (auto e = kad_.poll_event()) {
      again = true;
      if (auto* banned = std::get_if<kad::PeerBanned>(&*e)) {
        actions_.push_back(
            host::PunishPeer{banned->peer, config_.abuse_ban, "kad: " + banned->reason});
        exclude(banned->peer);
      }
      if (auto* bad = std::get_if<kad::PeerMisbehaved>(&*e)) exclude(bad->peer);
      if (auto* routing = std::get_if<kad::RoutingUpdated>(&*e); routing && !routing->added)
        removed = true;
      emit(std::move(*e));
    }
    if (removed && kad_.routing_table().size() < config_.routing_refill_below) refill_routing(now);
  }
}

void KadBehaviour::exclude(const PeerId& peer) {
  if (connections_.count(peer)) excluded_.insert(peer);
}

// Offers every connected DHT server to the routing table again (see the header). Bounded by the
// connections; a peer already in the table is only refreshed.
void KadBehaviour::refill_routing(Instant now) {
  if (!identify_) return;
  for (const auto& [peer, connection] : connections_) {
    if (excluded_.count(peer)) continue;
    const identify::IdentifyInfo* info = identify_(peer);
    if (!info || !lists_kad(*info)) continue;
    kad_.on_peer_connected(kad::PeerInfo{peer, dialable(info->listen_addrs, peer)}, true,
                           connection.second, now);
  }
}

void KadBehaviour::on_response(host::Response& r, Instant now) {
  auto it = requests_.find(r.id);
  if (it == requests_.end()) return;  // one-way (ADD_PROVIDER): the core does not wait
  kad::RequestId id = it->second;
  requests_.erase(it);
  if (!r.response) {
    const Error& e = r.response.error();
    if (std::string kind = stream_fault_kind(e); !kind.empty()) {
      exclude(r.peer);
      bad_input(r.peer, kind, "answer: " + e.message);
      return request_failed(id, "bad_answer", e.message, now);
    }
    std::string reason = e.code == Errc::timeout     ? "timeout"
                         : e.code == Errc::not_found ? "dial"
                                                     : "stream";
    return request_failed(id, reason, reason + ": " + e.message, now);
  }
  auto message = kad::decode(*r.response, config_.kad.limits);
  if (!message) {
    exclude(r.peer);
    bad_input(r.peer, decode_fault_kind(message.error()), "answer: " + message.error().message);
    return request_failed(id, "bad_answer", message.error().message, now);
  }
  kad_.on_response(id, *message, now);
}

void KadBehaviour::on_request(host::InboundRequest& r, Instant now) {
  auto request = kad::decode(r.request, config_.kad.limits);
  if (!request) {
    bad_input(r.peer, decode_fault_kind(request.error()), "request: " + request.error().message);
    return rr_.reject(r.id, "malformed request");
  }
  emit(KadInboundRequest{request->type});
  auto answer = kad_.handle_request(r.peer, host::ip_group(r.remote), *request, now);
  if (answer && request->type == kad::MessageType::add_provider)
    emit(KadProviderAccepted{r.peer, request->key, now});
  if (!answer) {
    std::string kind = answer.error().code == Errc::limit             ? "not_stored"
                       : request->type == kad::MessageType::put_value ? "invalid_record"
                                                                      : "refused";
    bad_input(r.peer, kind, answer.error().message);
    return rr_.reject(r.id, "refused request");
  }
  if (!*answer) {
    (void)rr_.respond_nothing(r.id);  // ADD_PROVIDER: no response
  } else {
    (void)rr_.respond(r.id, kad::encode(**answer));
  }
}

// Handles what the request/response layer reported, then what the core made of it.
void KadBehaviour::drain_requests(Instant now) {
  while (auto e = rr_.poll_event()) {
    if (auto* response = std::get_if<host::Response>(&*e)) {
      on_response(*response, now);
    } else if (auto* request = std::get_if<host::InboundRequest>(&*e)) {
      on_request(*request, now);
    } else if (auto* failed = std::get_if<host::InboundFailed>(&*e)) {
      std::string kind = stream_fault_kind(failed->error);
      bad_input(failed->peer, kind.empty() ? "malformed" : kind,
                "request: " + failed->error.message);
    }
  }
  drain_core(now);
}

void KadBehaviour::on_connection_opened(const host::ConnectionOpened& c, Instant now) {
  auto& [count, direction] = connections_[c.peer];
  if (count++ == 0) direction = direction_of(c.direction);
  // Until identify answers, a known server from an earlier identify counts as one.
  bool server = false;
  std::vector<Bytes> addrs;
  if (const identify::IdentifyInfo* info = identify_ ? identify_(c.peer) : nullptr) {
    server = lists_kad(*info);
    addrs = dialable(info->listen_addrs, c.peer);
  }
  kad_.on_peer_connected(kad::PeerInfo{c.peer, std::move(addrs)}, server, direction_of(c.direction),
                         now);
  drain_core(now);
}

void KadBehaviour::on_connection_ended(const host::ConnectionEnded& c, Instant now) {
  auto it = connections_.find(c.peer);
  if (it != connections_.end() && (c.last || --it->second.first == 0)) connections_.erase(it);
  if (!c.last) return;  // another connection to it remains
  excluded_.erase(c.peer);
  kad_.on_peer_disconnected(c.peer, now);
  drain_core(now);
}

void KadBehaviour::identified(const PeerId& peer, const identify::IdentifyInfo& info, Instant now) {
  if (!lists_kad(info) || excluded_.count(peer)) return;
  auto it = connections_.find(peer);
  if (it == connections_.end()) return;  // gone already
  kad_.on_peer_connected(kad::PeerInfo{peer, dialable(info.listen_addrs, peer)}, true,
                         it->second.second, now);
  drain_core(now);
}

void KadBehaviour::on_stream_opened(const host::StreamOpened& s, Instant now) {
  rr_.on_stream_opened(s, now);
  drain_requests(now);
}
void KadBehaviour::on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) {
  rr_.on_stream_open_failed(f, now);
  drain_requests(now);
}
void KadBehaviour::on_message(host::StreamRef ref, Bytes message, Instant now) {
  rr_.on_message(ref, message, now);
  drain_requests(now);
}
void KadBehaviour::on_stream_finished(host::StreamRef ref, Instant now) {
  rr_.on_stream_finished(ref, now);
  drain_requests(now);
}
void KadBehaviour::on_stream_closed(host::StreamRef ref, const Error& why, Instant now) {
  rr_.on_stream_closed(ref, why, now);
  drain_requests(now);
}

void KadBehaviour::on_timer(Instant now) {
  kad_.on_timer(now);
  rr_.on_timer(now);
  drain_requests(now);
}

std::optional<Instant> KadBehaviour::next_timer() const {
  std::optional<Instant> a = kad_.next_timer(), b = rr_.next_timer();
  if (a && b) return std::min(*a, *b);
  return a ? a : b;
}

std::optional<host::BehaviourAction> KadBehaviour::poll_action() {
  if (auto a = host::take_front(actions_)) return a;
  return rr_.poll_action();
}

}  // namespace agora::behaviour
