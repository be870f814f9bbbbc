// Temporary bans of misbehaving peers. A peer cut off for bad data (a tampered block, a malformed
// message) could otherwise reconnect at once and start over; while banned, its connections are
// refused after the handshake proves who it is, and we do not dial it.
//
// Bounded: at most bans_max entries; a new ban over the limit evicts the one expiring first.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "base/time.h"
#include "codec/peer_id.h"

namespace agora::host {

class PeerBans {
 public:
  explicit PeerBans(size_t bans_max = 4096) : bans_max_(bans_max) {}

  // A longer ban replaces a shorter one; a shorter one leaves the longer in place.
  void ban(const PeerId& peer, Instant until, std::string reason);
  // Why `peer` is banned at `now`, or nullopt. Forgets expired bans it comes across.
  std::optional<std::string> banned(const PeerId& peer, Instant now);
  void unban(const PeerId& peer) { bans_.erase(peer); }
  size_t size() const { return bans_.size(); }

 private:
  struct Ban {
    Instant until;
    std::string reason;
  };
  size_t bans_max_;
  std::map<PeerId, Ban> bans_;
};

}  // namespace agora::host
