#include "host/connection_limits.h"

#include <string>

namespace agora::host {
namespace {

size_t count_of(const std::map<std::string, size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

void increment(std::map<std::string, size_t>& counts, const std::string& key) { ++counts[key]; }

void decrement(std::map<std::string, size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it == counts.end()) return;
  if (--it->second == 0) counts.erase(it);
}

}  // namespace

const char* limit_name(LimitName name) {
  switch (name) {
    case LimitName::none:
      return "none";
    case LimitName::connections_max:
      return "connections_max";
    case LimitName::inbound_connections_max:
      return "inbound_connections_max";
    case LimitName::connections_per_peer_max:
      return "connections_per_peer_max";
    case LimitName::pending_dials_max:
      return "pending_dials_max";
    case LimitName::pending_inbound_handshakes_max:
      return "pending_inbound_handshakes_max";
    case LimitName::pending_inbound_handshakes_per_ip_max:
      return "pending_inbound_handshakes_per_ip_max";
    case LimitName::pending_inbound_handshakes_per_group_max:
      return "pending_inbound_handshakes_per_group_max";
    case LimitName::inbound_connections_per_ip_max:
      return "inbound_connections_per_ip_max";
    case LimitName::inbound_connections_per_group_max:
      return "inbound_connections_per_group_max";
  }
  return "none";
}

Error ConnectionLimits::refuse(LimitName name, size_t max) {
  last_refusal_ = name;
  return make_error(Errc::limit,
                    std::string(limit_name(name)) + " reached (" + std::to_string(max) + ")");
}

size_t ConnectionLimits::inbound_limit() const {
  size_t reserve = std::min(config_.outbound_reserve, config_.connections_max);
  return std::max<size_t>(config_.connections_max - reserve, 1);
}

Status ConnectionLimits::begin_inbound_handshake(const std::optional<host::IpSource>& source) {
  const ConnectionLimitsConfig& c = config_;
  if (pending_inbound_ >= c.pending_inbound_handshakes_max)
    return refuse(LimitName::pending_inbound_handshakes_max, c.pending_inbound_handshakes_max);
  if (source) {
    size_t ip_pending = count_of(pending_by_ip_, source->ip);
    size_t group_pending = count_of(pending_by_group_, source->group);
    if (ip_pending >= c.pending_inbound_handshakes_per_ip_max)
      return refuse(LimitName::pending_inbound_handshakes_per_ip_max,
                    c.pending_inbound_handshakes_per_ip_max);
    if (group_pending >= c.pending_inbound_handshakes_per_group_max)
      return refuse(LimitName::pending_inbound_handshakes_per_group_max,
                    c.pending_inbound_handshakes_per_group_max);
    // Pending ones count too: each may become a connection.
    if (count_of(inbound_by_ip_, source->ip) + ip_pending >= c.inbound_connections_per_ip_max)
      return refuse(LimitName::inbound_connections_per_ip_max, c.inbound_connections_per_ip_max);
    if (count_of(inbound_by_group_, source->group) + group_pending >=
        c.inbound_connections_per_group_max)
      return refuse(LimitName::inbound_connections_per_group_max,
                    c.inbound_connections_per_group_max);
    increment(pending_by_ip_, source->ip);
    increment(pending_by_group_, source->group);
  }
  ++pending_inbound_;
  return {};
}

void ConnectionLimits::end_inbound_handshake(const std::optional<host::IpSource>& source) {
  if (pending_inbound_ > 0) --pending_inbound_;
  if (!source) return;
  decrement(pending_by_ip_, source->ip);
  decrement(pending_by_group_, source->group);
}

Status ConnectionLimits::begin_dial() {
  if (pending_dials_ >= config_.pending_dials_max)
    return refuse(LimitName::pending_dials_max, config_.pending_dials_max);
  if (connections_.size() + pending_dials_ >= config_.connections_max)
    return refuse(LimitName::connections_max, config_.connections_max);
  ++pending_dials_;
  return {};
}

void ConnectionLimits::end_dial() {
  if (pending_dials_ > 0) --pending_dials_;
}

// Picks the youngest unprotected inbound connection of the most represented network. The
// newcomer is refused instead when its own network would become (or already is) the most
// represented: a flooding network only churns itself.
Result<Admission> ConnectionLimits::make_room(const NewConnection& conn, LimitName full,
                                              const ProtectedQuery& is_protected) {
  size_t max = full == LimitName::connections_max ? config_.connections_max : inbound_limit();
  std::map<std::string, size_t> unprotected_by_group;
  // A connection already chosen as a trim is on its way out: choosing it again would admit a
  // second newcomer for one close, and the count would grow past the limit while it closes.
  for (const auto& [id, open] : connections_) {
    if (!open.inbound || open.leaving || (is_protected && is_protected(open.peer))) continue;
    ++unprotected_by_group[open.source ? open.source->group : std::string()];
  }
  const std::string* largest = nullptr;
  size_t largest_count = 0;
  for (const auto& [group, n] : unprotected_by_group) {
    if (n > largest_count) largest = &group, largest_count = n;
  }
  if (largest == nullptr) return refuse(full, max);
  bool newcomer_protected = is_protected && is_protected(conn.peer);
  if (conn.inbound && !newcomer_protected) {
    std::string own = conn.source ? conn.source->group : std::string();
    if (count_of(unprotected_by_group, own) >= largest_count) return refuse(full, max);
  }
  std::optional<uint64_t> youngest;
  Instant youngest_opened{};
  for (const auto& [id, open] : connections_) {
    std::string group = open.source ? open.source->group : std::string();
    if (!open.inbound || open.leaving || group != *largest ||
        (is_protected && is_protected(open.peer)))
      continue;
    if (!youngest || open.opened >= youngest_opened) youngest = id, youngest_opened = open.opened;
  }
  return Admission{youngest, *largest, full};
}

Result<Admission> ConnectionLimits::add_connection(const NewConnection& conn,
                                                   const ProtectedQuery& is_protected) {
  if (connections_.count(conn.id)) return make_error(Errc::exists, "connection id in use");
  if (connections_to(conn.peer) >= config_.connections_per_peer_max)
    return refuse(LimitName::connections_per_peer_max, config_.connections_per_peer_max);
  Admission admission;
  if (conn.inbound && inbound_ >= inbound_limit()) {
    AGORA_ASSIGN(admission, make_room(conn, LimitName::inbound_connections_max, is_protected));
  } else if (connections_.size() >= config_.connections_max) {
    AGORA_ASSIGN(admission, make_room(conn, LimitName::connections_max, is_protected));
  }
  if (admission.trim) {
    connections_.at(*admission.trim).leaving = true;  // make_room chose it from connections_
    ++leaving_;
  }
  connections_[conn.id] = Open{conn.peer, conn.inbound, conn.source, conn.opened};
  ++per_peer_[conn.peer];
  if (conn.inbound) {
    ++inbound_;
    if (conn.source) {
      increment(inbound_by_ip_, conn.source->ip);
      increment(inbound_by_group_, conn.source->group);
    }
  }
  return admission;
}

void ConnectionLimits::remove_connection(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  const Open& open = it->second;
  if (open.leaving) --leaving_;
  auto peer = per_peer_.find(open.peer);
  if (peer != per_peer_.end() && --peer->second == 0) per_peer_.erase(peer);
  if (open.inbound) {
    --inbound_;
    if (open.source) {
      decrement(inbound_by_ip_, open.source->ip);
      decrement(inbound_by_group_, open.source->group);
    }
  }
  connections_.erase(it);
}

size_t ConnectionLimits::connections_to(const PeerId& peer) const {
  auto it = per_peer_.find(peer);
  return it == per_peer_.end() ? 0 : it->second;
}

size_t ConnectionLimits::inbound_connections_from_group(const std::string& group) const {
  return count_of(inbound_by_group_, group);
}

}  // namespace agora::host
