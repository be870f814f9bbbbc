#include "host/connection_manager.h"

#include <algorithm>
#include <tuple>
#include <vector>

namespace agora::host {

Result<ConnectionManager> ConnectionManager::create(ConnectionManagerConfig config) {
  if (config.high_water == 0)
    return make_error(Errc::invalid_input, "connection manager: high_water must be at least 1");
  if (config.low_water > config.high_water)
    return make_error(Errc::invalid_input,
                      "connection manager: low_water (" + std::to_string(config.low_water) +
                          ") is above high_water (" + std::to_string(config.high_water) + ")");
  if (config.check_interval <= Duration::zero())
    return make_error(Errc::invalid_input, "connection manager: check_interval must be positive");
  return ConnectionManager(config);
}

void ConnectionManager::on_opened(uint64_t connection, const PeerId& peer, bool inbound,
                                  Instant now) {
  Tracked& t = connections_[connection];
  t.peer = peer;
  t.inbound = inbound;
  t.opened = now;
  if (connections() > config_.high_water) next_check_ = std::min(next_check_, now);
}

void ConnectionManager::on_closed(uint64_t connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  if (it->second.closing) --closing_;
  connections_.erase(it);
}

void ConnectionManager::on_activity(uint64_t connection, size_t open_streams,
                                    uint64_t bytes_total) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  Tracked& t = it->second;
  t.open_streams = open_streams;
  t.bytes_recent = bytes_total >= t.bytes_total ? bytes_total - t.bytes_total : 0;
  t.bytes_total = bytes_total;
}

Status ConnectionManager::protect(const PeerId& peer, std::string_view tag) {
  if (tag.empty() || tag.size() > config_.protection_tag_bytes_max)
    return make_error(
        Errc::invalid_input,
        "protection tag must be 1.." + std::to_string(config_.protection_tag_bytes_max) + " bytes");
  auto it = protected_.find(peer);
  if (it == protected_.end()) {
    if (protected_.size() >= config_.protected_peers_max)
      return make_error(Errc::limit, "protected_peers_max reached (" +
                                         std::to_string(config_.protected_peers_max) + ")");
    it = protected_.emplace(peer, std::set<std::string, std::less<>>{}).first;
  }
  if (it->second.count(tag)) return {};
  if (it->second.size() >= config_.protection_tags_per_peer_max)
    return make_error(Errc::limit, "protection_tags_per_peer_max reached (" +
                                       std::to_string(config_.protection_tags_per_peer_max) + ")");
  it->second.emplace(tag);
  return {};
}

bool ConnectionManager::unprotect(const PeerId& peer, std::string_view tag) {
  auto it = protected_.find(peer);
  if (it == protected_.end()) return false;
  if (auto t = it->second.find(tag); t != it->second.end()) it->second.erase(t);
  if (!it->second.empty()) return true;
  protected_.erase(it);
  return false;
}

void ConnectionManager::trim(Instant now) {
  size_t excess = connections() - config_.low_water;
  std::vector<std::pair<uint64_t, Tracked*>> candidates;
  for (auto& [id, t] : connections_)
    if (!t.closing && now - t.opened >= config_.grace_period && !is_protected(t.peer))
      candidates.emplace_back(id, &t);
  if (candidates.empty()) return;
  // Least useful first: idle, quiet, inbound, young.
  auto usefulness = [](const std::pair<uint64_t, Tracked*>& c) {
    const Tracked& t = *c.second;
    return std::make_tuple(t.open_streams, t.bytes_recent, !t.inbound, -t.opened.time_since_epoch(),
                           c.first);
  };
  std::sort(candidates.begin(), candidates.end(),
            [&](auto& a, auto& b) { return usefulness(a) < usefulness(b); });
  size_t n = std::min(excess, candidates.size());
  std::string reason = "trimmed by the connection manager: " + std::to_string(connections()) +
                       " connections, over the high watermark of " +
                       std::to_string(config_.high_water);
  for (size_t i = 0; i < n; ++i) {
    Tracked& t = *candidates[i].second;
    t.closing = true;
    ++closing_;
    trims_.push_back({candidates[i].first, t.peer, reason});
  }
  last_trim_ = now;
  ++stats_.trims;
  stats_.connections_trimmed += n;
}

void ConnectionManager::on_timer(Instant now) {
  bool periodic = now >= next_check_;
  bool silent = last_trim_ && now < *last_trim_ + config_.silence_period;
  if (connections() > config_.high_water && !silent) trim(now);
  if (periodic) {
    size_t open = connections() + pending_dials_;
    if (open < config_.low_water) {
      dial_budget_ = std::min(config_.low_water - open, config_.dials_per_check_max);
      stats_.dials_requested += dial_budget_;
    }
    next_check_ = now + config_.check_interval;
  }
  if (connections() <= config_.high_water) return;
  // Still over: come back when the silence ends, or, when every unprotected connection is still
  // in its grace period, when the first of them leaves it.
  Instant retry = last_trim_ ? std::max(now, *last_trim_ + config_.silence_period) : now;
  std::optional<Instant> grace_end;
  bool trimmable = false;
  for (auto& [id, t] : connections_) {
    if (t.closing || is_protected(t.peer)) continue;
    Instant ends = t.opened + config_.grace_period;
    if (ends <= now) trimmable = true;
    grace_end = std::min(grace_end.value_or(Instant::max()), ends);
  }
  if (!grace_end) return;  // everything left is protected
  if (!trimmable) retry = std::max(retry, *grace_end);
  if (retry > now) next_check_ = std::min(next_check_, retry);
}

std::optional<ConnectionTrim> ConnectionManager::poll_trim() {
  if (trims_.empty()) return std::nullopt;
  ConnectionTrim t = std::move(trims_.front());
  trims_.pop_front();
  return t;
}

size_t ConnectionManager::take_dial_budget() { return std::exchange(dial_budget_, 0); }

}  // namespace agora::host
