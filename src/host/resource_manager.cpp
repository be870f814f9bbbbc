#include "host/resource_manager.h"

#include <array>

namespace agora::host {
namespace {

size_t& field(ScopeUsage& u, int kind) {
  return kind == 0 ? u.streams_inbound : kind == 1 ? u.streams_outbound : u.memory_bytes;
}
size_t limit_of(const ScopeLimits& l, int kind) {
  return kind == 0   ? l.streams_inbound_max
         : kind == 1 ? l.streams_outbound_max
                     : l.memory_bytes_max;
}
const char* limit_name(int kind) {
  return kind == 0   ? "streams_inbound_max"
         : kind == 1 ? "streams_outbound_max"
                     : "memory_bytes_max";
}
void subtract(size_t& value, size_t amount) { value = amount > value ? 0 : value - amount; }

}  // namespace

Status ResourceManager::set_protocol(const std::string& protocol, ProtocolLimits limits) {
  auto it = protocols_.find(protocol);
  if (it != protocols_.end()) {
    it->second.limits = limits;
    return {};
  }
  if (protocols_.size() >= config_.protocols_max)
    return make_error(Errc::limit,
                      "protocols_max reached (" + std::to_string(config_.protocols_max) + ")");
  protocols_.emplace(protocol, ProtocolScope{limits, {}});
  return {};
}

bool ResourceManager::has_protocol(std::string_view protocol) const {
  return protocols_.find(protocol) != protocols_.end();
}

std::optional<ProtocolLimits> ResourceManager::limits_of(std::string_view protocol) const {
  auto it = protocols_.find(protocol);
  if (it == protocols_.end()) return std::nullopt;
  return it->second.limits;
}

Refusal ResourceManager::refuse(Scope scope, Kind kind, size_t max, std::string_view protocol,
                                const PeerId* peer) {
  int k = int(kind);
  Refusal r{RefusalReason::limit, scope, limit_name(k), ""};
  r.detail =
      std::string(label(scope)) + " " + limit_name(k) + " reached (" + std::to_string(max) + ")";
  if (!protocol.empty() && scope != Scope::system && scope != Scope::peer)
    r.detail += " for " + std::string(protocol);
  if (peer && (scope == Scope::peer || scope == Scope::peer_protocol))
    r.detail += " by " + peer->to_string();
  ++refusals_[{scope, r.limit}];
  return r;
}

std::optional<Refusal> ResourceManager::charge(const PeerId& peer, std::string_view protocol,
                                               Kind kind, size_t amount) {
  auto proto = protocols_.find(protocol);
  if (proto == protocols_.end()) {
    Refusal r{RefusalReason::unknown_protocol, Scope::none, "",
              "no handler for protocol " + std::string(protocol)};
    ++refusals_[{Scope::none, "unknown_protocol"}];
    return r;
  }
  int k = int(kind);
  auto peer_it = peers_.find(peer);
  ScopeUsage no_usage;
  ScopeUsage& peer_usage = peer_it == peers_.end() ? no_usage : peer_it->second.usage;
  ScopeUsage pair_usage;
  if (peer_it != peers_.end()) {
    auto pp = peer_it->second.protocols.find(protocol);
    if (pp != peer_it->second.protocols.end()) pair_usage = pp->second;
  }
  // Narrowest scope first: the refusal names the scope that is really full.
  struct Check {
    Scope scope;
    size_t used;
    size_t max;
  };
  const ProtocolLimits& pl = proto->second.limits;
  std::array<Check, 4> checks{{
      {Scope::peer_protocol, field(pair_usage, k), limit_of(pl.per_peer, k)},
      {Scope::peer, field(peer_usage, k), limit_of(config_.peer, k)},
      {Scope::protocol, field(proto->second.usage, k), limit_of(pl.all_peers, k)},
      {Scope::system, field(system_, k), limit_of(config_.system, k)},
  }};
  for (const Check& c : checks)
    if (c.max < amount || c.used > c.max - amount)
      return refuse(c.scope, kind, c.max, protocol, &peer);
  PeerScope& ps = peers_[peer];
  field(ps.usage, k) += amount;
  field(ps.protocols[std::string(protocol)], k) += amount;
  field(proto->second.usage, k) += amount;
  field(system_, k) += amount;
  return std::nullopt;
}

void ResourceManager::refund(const PeerId& peer, std::string_view protocol, Kind kind,
                             size_t amount) {
  int k = int(kind);
  auto peer_it = peers_.find(peer);
  if (peer_it == peers_.end()) return;  // never granted: nothing to give back
  auto pp = peer_it->second.protocols.find(protocol);
  if (pp == peer_it->second.protocols.end()) return;
  size_t granted = std::min(amount, field(pp->second, k));
  subtract(field(pp->second, k), granted);
  if (pp->second.empty()) peer_it->second.protocols.erase(pp);
  subtract(field(peer_it->second.usage, k), granted);
  if (peer_it->second.usage.empty()) peers_.erase(peer_it);
  if (auto proto = protocols_.find(protocol); proto != protocols_.end())
    subtract(field(proto->second.usage, k), granted);
  subtract(field(system_, k), granted);
}

std::optional<Refusal> ResourceManager::open_stream(const PeerId& peer, std::string_view protocol,
                                                    Direction dir) {
  return charge(peer, protocol,
                dir == Direction::inbound ? Kind::stream_inbound : Kind::stream_outbound, 1);
}

void ResourceManager::close_stream(const PeerId& peer, std::string_view protocol, Direction dir) {
  refund(peer, protocol, dir == Direction::inbound ? Kind::stream_inbound : Kind::stream_outbound,
         1);
}

std::optional<Refusal> ResourceManager::reserve_memory(const PeerId& peer,
                                                       std::string_view protocol, size_t bytes) {
  return charge(peer, protocol, Kind::memory, bytes);
}

void ResourceManager::release_memory(const PeerId& peer, std::string_view protocol, size_t bytes) {
  refund(peer, protocol, Kind::memory, bytes);
}

ScopeUsage ResourceManager::peer(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? ScopeUsage{} : it->second.usage;
}

ScopeUsage ResourceManager::protocol(std::string_view protocol) const {
  auto it = protocols_.find(protocol);
  return it == protocols_.end() ? ScopeUsage{} : it->second.usage;
}

ScopeUsage ResourceManager::peer_protocol(const PeerId& peer, std::string_view protocol) const {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return {};
  auto pp = it->second.protocols.find(protocol);
  return pp == it->second.protocols.end() ? ScopeUsage{} : pp->second;
}

}  // namespace agora::host
