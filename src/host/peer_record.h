// What we know of a peer (its addresses, what identify told us, when we saw it, how we found it):
// the record the in-memory PeerStore keeps and store/peer_db.h persists. Plain data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codec/multiaddr.h"
#include "codec/peer_id.h"

namespace agora::host {

// How we came to know a peer; a peer may have been found several ways (a bit set).
enum class PeerSource : uint32_t {
  mdns = 1,
  bootstrap = 2,
  dht = 4,
  inbound = 8,  // it connected to us
  manual = 16,  // the user dialled it (swarm connect, ping, perf, get --peer)
};
inline constexpr PeerSource kAllPeerSources[] = {PeerSource::mdns, PeerSource::bootstrap,
                                                 PeerSource::dht, PeerSource::inbound,
                                                 PeerSource::manual};
const char* peer_source_name(PeerSource source);  // "mdns", "bootstrap", ...
// The names of the bits set in `sources`, in kAllPeerSources order.
std::vector<std::string> peer_source_names(uint32_t sources);
inline uint32_t bit(PeerSource s) { return uint32_t(s); }

struct PeerAddress {
  Multiaddr addr;            // without /p2p/<peer>
  int64_t last_seen_ms = 0;  // Unix time in ms
  bool operator==(const PeerAddress&) const = default;
};

struct PeerRecord {
  PeerId peer;
  std::vector<PeerAddress> addrs;      // most recently seen first
  std::vector<std::string> protocols;  // from identify
  std::string agent;                   // from identify
  int64_t first_seen_ms = 0;           // Unix time in ms
  int64_t last_seen_ms = 0;            // last connected to us, or announced to us
  std::optional<int64_t> latency_us;   // the last round trip we measured
  uint32_t sources = 0;                // PeerSource bits
  bool operator==(const PeerRecord&) const = default;
};

}  // namespace agora::host
