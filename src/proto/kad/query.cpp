#include "proto/kad/query.h"

#include <algorithm>
#include <cassert>

namespace agora::kad {

Query::Query(const Key& target, QueryConfig config, Instant now)
    : target_(target), config_(config), started_(now) {
  config_.k = std::max<size_t>(config_.k, 1);
  config_.alpha = std::max<size_t>(config_.alpha, 1);
  config_.disjoint_paths = std::clamp<size_t>(config_.disjoint_paths, 1, 255);
  config_.peers_max = std::max(config_.peers_max, config_.k * config_.disjoint_paths);
  path_in_flight_.assign(config_.disjoint_paths, 0);
}

size_t Query::path_limit() const {
  return (config_.alpha + config_.disjoint_paths - 1) / config_.disjoint_paths;
}

Query::Peers::iterator Query::find(const PeerId& peer) {
  auto it = peers_.find(distance(target_, Key::of(peer)));
  return it != peers_.end() && it->second.info.id == peer ? it : peers_.end();
}

Query::Peers::const_iterator Query::find(const PeerId& peer) const {
  auto it = peers_.find(distance(target_, Key::of(peer)));
  return it != peers_.end() && it->second.info.id == peer ? it : peers_.end();
}

void Query::add_peer(const PeerInfo& peer, size_t path, uint16_t hop) {
  if (peer.id.empty()) return;
  auto [it, inserted] = peers_.try_emplace(distance(target_, Key::of(peer.id)));
  if (!inserted) return;  // known already: it stays on its first path (disjointness)
  it->second.info = peer;
  it->second.path = uint8_t(path);
  it->second.hop = hop;
  ++stats_.peers_seen;
  trim();
}

// Forget the farthest peers not in flight until under peers_max. The k closest are never at
// stake: peers_max >= k.
void Query::trim() {
  while (peers_.size() > config_.peers_max) {
    auto it = peers_.end();
    do {
      --it;
    } while (it != peers_.begin() && it->second.state == QueryPeerState::in_flight);
    if (it->second.state == QueryPeerState::in_flight) return;  // all in flight
    peers_.erase(it);
  }
}

void Query::add_seeds(std::span<const PeerInfo> seeds) {
  // Closest seed to path 0, the next to path 1, ...
  std::vector<const PeerInfo*> sorted;
  for (const PeerInfo& s : seeds) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(), [&](const PeerInfo* a, const PeerInfo* b) {
    return distance(target_, Key::of(a->id)) < distance(target_, Key::of(b->id));
  });
  size_t path = 0;
  for (const PeerInfo* s : sorted) {
    if (find(s->id) != peers_.end()) continue;
    add_peer(*s, path, 1);
    path = (path + 1) % config_.disjoint_paths;
  }
}

Query::Peers::iterator Query::next_for_path(size_t path) {
  size_t counted = 0;
  for (auto it = peers_.begin(); it != peers_.end() && counted < config_.k; ++it) {
    Candidate& c = it->second;
    if (c.path != path || c.state == QueryPeerState::failed) continue;
    if (c.state == QueryPeerState::waiting) return it;
    ++counted;
  }
  return peers_.end();
}

bool Query::path_done(size_t path) const {
  size_t counted = 0;
  for (auto it = peers_.begin(); it != peers_.end() && counted < config_.k; ++it) {
    const Candidate& c = it->second;
    if (c.path != path || c.state == QueryPeerState::failed) continue;
    if (c.state != QueryPeerState::succeeded) return false;
    ++counted;
  }
  return true;
}

bool Query::finished() const {
  for (size_t p = 0; p < config_.disjoint_paths; ++p)
    if (!path_done(p)) return false;
  return true;
}

std::optional<PeerInfo> Query::next_request() {
  const size_t paths = config_.disjoint_paths;
  for (size_t i = 0; i < paths && in_flight_ < config_.alpha; ++i) {
    const size_t path = (next_path_ + i) % paths;
    if (path_in_flight_[path] >= path_limit()) continue;
    auto it = next_for_path(path);
    if (it == peers_.end()) continue;
    it->second.state = QueryPeerState::in_flight;
    ++path_in_flight_[path];
    ++in_flight_;
    ++stats_.requests;
    next_path_ = (path + 1) % paths;
    return it->second.info;
  }
  return std::nullopt;
}

bool Query::on_success(const PeerId& peer, std::span<const PeerInfo> closer, Instant now) {
  stats_.elapsed = now - started_;
  auto it = find(peer);
  if (it == peers_.end() || it->second.state != QueryPeerState::in_flight) return false;
  Candidate& c = it->second;
  c.state = QueryPeerState::succeeded;
  --path_in_flight_[c.path];
  --in_flight_;
  ++stats_.responses;
  const size_t path = c.path;
  const uint16_t hop = uint16_t(std::min<int>(c.hop + 1, 0xffff));
  // add_peer may trim the map, so `c` is not used past this point.
  for (const PeerInfo& p : closer) add_peer(p, path, hop);
  return true;
}

bool Query::on_failure(const PeerId& peer, Instant now) {
  stats_.elapsed = now - started_;
  auto it = find(peer);
  if (it == peers_.end() || it->second.state != QueryPeerState::in_flight) return false;
  Candidate& c = it->second;
  c.state = QueryPeerState::failed;
  --path_in_flight_[c.path];
  --in_flight_;
  ++stats_.failures;
  return true;
}

std::vector<PeerInfo> Query::closest(size_t n) const {
  std::vector<PeerInfo> out;
  for (const auto& [d, c] : peers_) {
    if (out.size() >= n) break;
    if (c.state == QueryPeerState::succeeded) out.push_back(c.info);
  }
  return out;
}

uint32_t Query::hops() const {
  for (const auto& [d, c] : peers_)
    if (c.state == QueryPeerState::succeeded) return c.hop;
  return 0;
}

std::optional<QueryPeerState> Query::state_of(const PeerId& peer) const {
  auto it = find(peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second.state;
}

std::optional<size_t> Query::path_of(const PeerId& peer) const {
  auto it = find(peer);
  if (it == peers_.end()) return std::nullopt;
  return it->second.path;
}

}  // namespace agora::kad
