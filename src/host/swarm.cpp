#include "host/swarm.h"

#include <algorithm>

#include "host/ip_group.h"

namespace agora::host {
namespace {

Scope scope_of(LimitName name) {
  switch (name) {
    case LimitName::connections_per_peer_max:
      return Scope::peer;
    case LimitName::pending_inbound_handshakes_per_ip_max:
    case LimitName::inbound_connections_per_ip_max:
      return Scope::ip;
    case LimitName::pending_inbound_handshakes_per_group_max:
    case LimitName::inbound_connections_per_group_max:
      return Scope::network;
    default:
      return Scope::system;
  }
}

// 0 loopback, 1 private or link-local, 2 public, 3 anything without a leading IP (dns, ...).
int address_class(const Multiaddr& addr) {
  auto ip = leading_ip(addr);
  if (!ip) return 3;
  const uint8_t* b = ip->bytes;
  if (ip->v4) {
    if (b[0] == 127) return 0;
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
        (b[0] == 169 && b[1] == 254) || (b[0] == 100 && (b[1] & 0xc0) == 64))
      return 1;
    return 2;
  }
  static const uint8_t loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  if (std::equal(b, b + 16, loopback)) return 0;
  if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)) return 1;
  return 2;
}

}  // namespace

Swarm::Swarm(PeerId local, SwarmConfig config)
    : local_(std::move(local)),
      config_(config),
      limits_(config.limits),
      bans_(config.bans_max),
      resources_(config.resources) {}

Status Swarm::add_protocol(const std::string& protocol, ProtocolConfig config) {
  if (Status st = resources_.set_protocol(protocol, config.limits); !st) return st;
  protocols_[protocol] = config;
  return {};
}

std::vector<std::string> Swarm::protocols() const {
  std::vector<std::string> out;
  for (const auto& [name, config] : protocols_) out.push_back(name);
  return out;
}

void Swarm::push_event(SwarmEvent e) {
  if (config_.queue_max == 0) return;
  if (events_.size() >= config_.queue_max) {
    events_.pop_front();
    ++stats_.events_dropped;
  }
  events_.push_back(std::move(e));
}

Refusal Swarm::refuse(Refusal r, std::optional<PeerId> peer, std::string addr, Direction dir,
                      std::string protocol) {
  std::string key = r.reason == RefusalReason::limit ? r.limit : label(r.reason);
  ++stats_.refusals[{r.scope, key}];
  SwarmEvent e;
  e.type = SwarmEvent::Type::refused;
  e.peer = std::move(peer);
  e.addr = std::move(addr);
  e.direction = dir;
  e.protocol = std::move(protocol);
  e.refusal = r;
  e.detail = r.detail;
  push_event(std::move(e));
  return r;
}

Refusal Swarm::limit_refusal(const Error& e) const {
  LimitName name = limits_.last_refusal();
  return Refusal{RefusalReason::limit, scope_of(name), limit_name(name), e.message};
}

std::optional<Refusal> Swarm::on_inbound_accepted(const std::optional<IpSource>& source, Instant) {
  if (Status st = limits_.begin_inbound_handshake(source); !st)
    return refuse(limit_refusal(st.error()), std::nullopt, source ? source->ip : "",
                  Direction::inbound);
  return std::nullopt;
}

void Swarm::on_inbound_ended(const std::optional<IpSource>& source) {
  limits_.end_inbound_handshake(source);
}

std::vector<Multiaddr> Swarm::rank_addresses(std::vector<Multiaddr> addrs, Instant now) const {
  auto key = [&](const Multiaddr& a) {
    bool backing_off = backoff_until(a, now).has_value();
    auto ip = leading_ip(a);
    bool v6 = ip && !ip->v4;
    return std::tuple(backing_off, address_class(a), v6);
  };
  std::stable_sort(addrs.begin(), addrs.end(),
                   [&](const Multiaddr& x, const Multiaddr& y) { return key(x) < key(y); });
  return addrs;
}

std::optional<Instant> Swarm::backoff_until(const Multiaddr& addr, Instant now) const {
  auto it = backoff_.find(addr.without_peer_id().to_bytes());
  if (it == backoff_.end() || it->second.until <= now) return std::nullopt;
  return it->second.until;
}

std::variant<DialPlan, Refusal> Swarm::dial(const std::optional<PeerId>& peer,
                                            std::vector<Multiaddr> addrs, Instant now) {
  std::string where = addrs.empty() ? "" : addrs.front().to_string();
  if (peer && *peer == local_)
    return refuse({RefusalReason::self_dial, Scope::none, "", "refusing to dial ourselves"}, peer,
                  where, Direction::outbound);
  if (peer) {
    if (auto why = bans_.banned(*peer, now))
      return refuse(
          {RefusalReason::banned, Scope::peer, "",
           "not dialling " + peer->to_string() + ": banned for misbehaving (" + *why + ")"},
          peer, where, Direction::outbound);
    if (auto existing = connection_to(*peer))
      return DialPlan{DialPlan::Kind::connected, *existing, 0, {}};
    if (auto in_flight = dial_by_peer_.find(*peer); in_flight != dial_by_peer_.end()) {
      Dial& d = dials_[in_flight->second];
      if (d.joined >= config_.dial_joins_max)
        return refuse({RefusalReason::limit, Scope::peer, "dial_joins_max",
                       "dial_joins_max reached (" + std::to_string(config_.dial_joins_max) +
                           ") waiting on a dial to " + peer->to_string()},
                      peer, where, Direction::outbound);
      ++d.joined;
      ++stats_.dials_joined;
      return DialPlan{DialPlan::Kind::join, 0, in_flight->second, {}};
    }
  }
  if (addrs.empty())
    return refuse({RefusalReason::no_address, Scope::none, "", "no address to dial"}, peer, "",
                  Direction::outbound);
  if (Status st = limits_.begin_dial(); !st)
    return refuse(limit_refusal(st.error()), peer, where, Direction::outbound);
  DialId id = next_dial_++;
  dials_[id] = Dial{peer, 0};
  if (peer) dial_by_peer_[*peer] = id;
  ++stats_.dials_started;
  return DialPlan{DialPlan::Kind::start, 0, id, rank_addresses(std::move(addrs), now)};
}

void Swarm::note_failure(const Multiaddr& addr, Instant now) {
  Bytes key = addr.without_peer_id().to_bytes();
  auto it = backoff_.find(key);
  if (it == backoff_.end()) {
    if (config_.backoff_addrs_max == 0) return;
    if (backoff_.size() >= config_.backoff_addrs_max) {
      auto first = std::min_element(backoff_.begin(), backoff_.end(), [](auto& x, auto& y) {
        return x.second.until < y.second.until;
      });
      backoff_.erase(first);
    }
    it = backoff_.emplace(std::move(key), Backoff{}).first;
  }
  Backoff& b = it->second;
  unsigned doublings = std::min(b.failures, 30u);
  ++b.failures;
  Duration wait = config_.dial_backoff_min;
  for (unsigned i = 0; i < doublings && wait < config_.dial_backoff_max; ++i) wait *= 2;
  b.until = now + std::min(wait, config_.dial_backoff_max);
}

void Swarm::on_dial_finished(DialId id, const std::vector<Multiaddr>& failed, bool connected,
                             Instant now) {
  auto it = dials_.find(id);
  if (it == dials_.end()) return;
  for (const Multiaddr& a : failed) note_failure(a, now);
  if (it->second.peer) dial_by_peer_.erase(*it->second.peer);
  if (!connected) {
    ++stats_.dials_failed;
    SwarmEvent e;
    e.type = SwarmEvent::Type::dial_failed;
    e.peer = it->second.peer;
    e.direction = Direction::outbound;
    e.addr = failed.empty() ? "" : failed.back().to_string();
    push_event(std::move(e));
  }
  dials_.erase(it);
  limits_.end_dial();
}

std::variant<Admitted, Refusal> Swarm::on_secured(
    ConnectionId id, const PeerId& peer, Direction dir, const Multiaddr& remote, Instant now,
    const ConnectionLimits::ProtectedQuery& is_protected) {
  bool inbound = dir == Direction::inbound;
  if (auto why = bans_.banned(peer, now))
    return refuse({RefusalReason::banned, Scope::peer, "", "peer is banned: " + *why}, peer,
                  remote.to_string(), dir);
  NewConnection conn{id, peer, inbound, inbound ? ip_source(remote) : std::nullopt, now};
  auto admission = limits_.add_connection(conn, is_protected);
  if (!admission) return refuse(limit_refusal(admission.error()), peer, remote.to_string(), dir);
  connections_[id] = Conn{peer, dir, remote.without_peer_id()};
  if (!inbound) backoff_.erase(remote.without_peer_id().to_bytes());
  ++stats_.connections_opened;
  SwarmEvent e;
  e.type = SwarmEvent::Type::connection_opened;
  e.connection = id;
  e.peer = peer;
  e.direction = dir;
  e.addr = remote.to_string();
  push_event(std::move(e));
  Admitted out;
  if (admission->trim && connections_.count(*admission->trim)) {
    out.trim = admission->trim;
    out.trim_detail = std::string(limit_name(admission->full)) +
                      ": trimmed from over-represented network " + admission->trim_group +
                      " to admit " + peer.to_string();
    Conn& victim = connections_[*admission->trim];
    if (!victim.closing && close_queued_.insert(*out.trim).second) {
      victim.closing = true;
      actions_.push_back(CloseConnection{*out.trim, CloseReason::admission_trim, out.trim_detail});
    }
  }
  return out;
}

void Swarm::close_streams_of(ConnectionId conn) {
  auto it = streams_.lower_bound({conn, 0});
  while (it != streams_.end() && it->first.first == conn) {
    release_all(it->second);
    reset_queued_.erase(it->first);
    it = streams_.erase(it);
  }
}

void Swarm::on_connection_closed(ConnectionId id, CloseReason reason, const std::string& detail,
                                 Instant) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  close_streams_of(id);
  limits_.remove_connection(id);
  ++stats_.closes[reason];
  SwarmEvent e;
  e.type = SwarmEvent::Type::connection_closed;
  e.connection = id;
  e.peer = it->second.peer;
  e.direction = it->second.direction;
  e.addr = it->second.remote.to_string();
  e.close = reason;
  e.detail = detail;
  push_event(std::move(e));
  connections_.erase(it);
  close_queued_.erase(id);
}

size_t Swarm::disconnect(const PeerId& peer, CloseReason reason, const std::string& detail) {
  size_t n = 0;
  for (auto& [id, c] : connections_) {
    if (c.peer != peer || c.closing) continue;
    c.closing = true;
    if (close_queued_.insert(id).second) actions_.push_back(CloseConnection{id, reason, detail});
    ++n;
  }
  return n;
}

void Swarm::ban(const PeerId& peer, Duration how_long, const std::string& why, Instant now) {
  bans_.ban(peer, now + how_long, why);
  disconnect(peer, CloseReason::banned, why);
}

std::optional<ConnectionId> Swarm::connection_to(const PeerId& peer) const {
  for (const auto& [id, c] : connections_)
    if (c.peer == peer && !c.closing) return id;
  return std::nullopt;
}

std::optional<Refusal> Swarm::on_stream_opened(ConnectionId conn, uint64_t stream,
                                               const std::string& protocol, Direction dir,
                                               Instant now) {
  auto c = connections_.find(conn);
  if (c == connections_.end() || c->second.closing)
    return refuse({RefusalReason::not_connected, Scope::none, "", "connection is closed"},
                  std::nullopt, "", dir, protocol);
  if (streams_.count({conn, stream})) return std::nullopt;  // reported twice: charged once
  if (auto refusal = resources_.open_stream(c->second.peer, protocol, dir))
    return refuse(*refusal, c->second.peer, c->second.remote.to_string(), dir, protocol);
  streams_[{conn, stream}] = OpenStream{c->second.peer, protocol, dir, now};
  ++stats_.streams_opened;
  return std::nullopt;
}

void Swarm::on_stream_activity(ConnectionId conn, uint64_t stream, Instant now) {
  auto it = streams_.find({conn, stream});
  if (it != streams_.end()) it->second.last_activity = std::max(it->second.last_activity, now);
}

void Swarm::on_stream_closed(ConnectionId conn, uint64_t stream) {
  auto it = streams_.find({conn, stream});
  if (it == streams_.end()) return;
  release_all(it->second);
  reset_queued_.erase(it->first);
  streams_.erase(it);
}

void Swarm::release_all(const OpenStream& s) {
  if (s.memory_bytes > 0) resources_.release_memory(s.peer, s.protocol, s.memory_bytes);
  resources_.close_stream(s.peer, s.protocol, s.direction);
}

std::optional<Refusal> Swarm::reserve_stream_memory(ConnectionId conn, uint64_t stream,
                                                    size_t bytes) {
  auto it = streams_.find({conn, stream});
  if (it == streams_.end())
    return Refusal{RefusalReason::not_connected, Scope::none, "", "the stream is closed"};
  OpenStream& s = it->second;
  if (bytes == 0) return std::nullopt;
  if (auto refusal = resources_.reserve_memory(s.peer, s.protocol, bytes)) {
    auto c = connections_.find(conn);
    std::string addr = c == connections_.end() ? "" : c->second.remote.to_string();
    return refuse(*refusal, s.peer, std::move(addr), s.direction, s.protocol);
  }
  s.memory_bytes += bytes;
  return std::nullopt;
}

void Swarm::release_stream_memory(ConnectionId conn, uint64_t stream, size_t bytes) {
  auto it = streams_.find({conn, stream});
  if (it == streams_.end()) return;
  OpenStream& s = it->second;
  bytes = std::min(bytes, s.memory_bytes);
  if (bytes == 0) return;
  resources_.release_memory(s.peer, s.protocol, bytes);
  s.memory_bytes -= bytes;
}

std::string Swarm::stream_protocol(ConnectionId conn, uint64_t stream) const {
  auto it = streams_.find({conn, stream});
  return it == streams_.end() ? "" : it->second.protocol;
}

size_t Swarm::stream_memory(ConnectionId conn, uint64_t stream) const {
  auto it = streams_.find({conn, stream});
  return it == streams_.end() ? 0 : it->second.memory_bytes;
}

void Swarm::on_timer(Instant now) {
  for (auto& [key, s] : streams_) {
    auto proto = protocols_.find(s.protocol);
    if (proto == protocols_.end() || proto->second.idle_timeout <= Duration::zero()) continue;
    if (s.last_activity + proto->second.idle_timeout > now) continue;
    if (!reset_queued_.insert(key).second) continue;
    std::string detail =
        s.protocol + " stream idle for " + std::to_string(to_ms(now - s.last_activity)) + " ms";
    actions_.push_back(ResetStream{key.first, key.second, detail});
    ++stats_.streams_idle_reset;
    SwarmEvent e;
    e.type = SwarmEvent::Type::stream_idle;
    e.connection = key.first;
    e.peer = s.peer;
    e.direction = s.direction;
    e.protocol = s.protocol;
    e.detail = std::move(detail);
    push_event(std::move(e));
  }
}

std::optional<Instant> Swarm::next_timer() const {
  std::optional<Instant> next;
  for (const auto& [key, s] : streams_) {
    if (reset_queued_.count(key)) continue;
    auto proto = protocols_.find(s.protocol);
    if (proto == protocols_.end() || proto->second.idle_timeout <= Duration::zero()) continue;
    Instant due = s.last_activity + proto->second.idle_timeout;
    if (!next || due < *next) next = due;
  }
  return next;
}

std::optional<SwarmAction> Swarm::poll_action() {
  if (actions_.empty()) return std::nullopt;
  SwarmAction a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

std::optional<SwarmEvent> Swarm::poll_event() {
  if (events_.empty()) return std::nullopt;
  SwarmEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

}  // namespace agora::host
