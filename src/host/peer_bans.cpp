#include "host/peer_bans.h"

#include <algorithm>

namespace agora::host {

void PeerBans::ban(const PeerId& peer, Instant until, std::string reason) {
  auto it = bans_.find(peer);
  if (it != bans_.end()) {
    if (it->second.until < until) it->second = {until, std::move(reason)};
    return;
  }
  if (bans_max_ == 0) return;
  if (bans_.size() >= bans_max_) {
    auto first = std::min_element(bans_.begin(), bans_.end(), [](const auto& a, const auto& b) {
      return a.second.until < b.second.until;
    });
    if (first->second.until >= until) return;  // every kept ban outlasts this one
    bans_.erase(first);
  }
  bans_.emplace(peer, Ban{until, std::move(reason)});
}

std::optional<std::string> PeerBans::banned(const PeerId& peer, Instant now) {
  auto it = bans_.find(peer);
  if (it == bans_.end()) return std::nullopt;
  if (it->second.until <= now) {
    bans_.erase(it);
    return std::nullopt;
  }
  return it->second.reason;
}

}  // namespace agora::host
