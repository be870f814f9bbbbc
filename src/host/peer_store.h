// The peers this node knows, in memory: addresses, identify results, last seen, latency and how
// each was found (host/peer_record.h), plus what the dialler needs: whether we are connected and
// when we may dial again. Sans-I/O: times come in as arguments. Wall time (Unix ms) is what gets
// persisted; the monotonic Instant only drives dial backoff.
//
// Bounded: at most peers_max peers. A new peer over the limit evicts the least recently seen peer
// we are not connected to (peers without a dialable address first, bootstrap peers last); when
// every known peer is connected, the new one is refused. Per peer at most addrs_per_peer_max
// addresses (the least recently seen go), protocols_per_peer_max protocols of at most
// protocol_bytes_max bytes, and an agent of at most agent_bytes_max bytes. Only addresses the swarm
// can dial are kept.
//
// Changes are collected for the persistent copy (store::PeerDb): take_changes() hands over the
// records changed and the peers removed since the last call.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/time.h"
#include "host/peer_record.h"

namespace agora::host {

struct PeerStoreConfig {
  size_t peers_max = 1000;
  size_t addrs_per_peer_max = 16;
  size_t protocols_per_peer_max = 128;
  size_t protocol_bytes_max = 256;
  size_t agent_bytes_max = 256;
  // After a failed dial the peer waits dial_backoff_min, doubling per consecutive failure up to
  // dial_backoff_max, before it is a dial candidate again.
  Duration dial_backoff_min = std::chrono::seconds(30);
  Duration dial_backoff_max = std::chrono::hours(1);
  // After its last connection closes, for whatever reason (we trimmed it, it left, the user
  // disconnected it), a peer is not redialled automatically for this long: no flapping.
  Duration redial_after_close = std::chrono::minutes(2);
};

struct PeerStoreStats {
  uint64_t peers_evicted = 0;
  uint64_t peers_refused = 0;      // new peers dropped because every known peer was connected
  uint64_t addrs_dropped = 0;      // over addrs_per_peer_max, or not dialable
  uint64_t protocols_dropped = 0;  // over protocols_per_peer_max or protocol_bytes_max
};

struct PeerChanges {
  std::vector<PeerRecord> changed;
  std::vector<PeerId> removed;
  bool empty() const { return changed.empty() && removed.empty(); }
};

class PeerStore {
 public:
  explicit PeerStore(PeerStoreConfig config = {});

  // Replaces the contents with records loaded from disk (limits re-applied). Not a change.
  void load(std::vector<PeerRecord> records);

  // Learns or refreshes `addrs` of `peer` (a trailing /p2p/ must name `peer`) and adds the
  // `sources` bits; creates the peer if new. False when the peer is new and there is no room.
  bool add_addrs(const PeerId& peer, std::span<const Multiaddr> addrs, uint32_t sources,
                 int64_t now_ms);
  void remove_sources(const PeerId& peer, uint32_t sources);
  // Identify's answer: protocols (kept sorted, unique) and agent.
  void set_identify(const PeerId& peer, std::span<const std::string> protocols,
                    std::string_view agent, int64_t now_ms);
  void set_latency(const PeerId& peer, Duration rtt);
  bool remove(const PeerId& peer);

  // Connection bookkeeping. `dialed` is the address an outbound connection reached (refreshed
  // as the best address); empty for inbound connections.
  void on_connected(const PeerId& peer, const Multiaddr& dialed, uint32_t sources, int64_t now_ms);
  void on_disconnected(const PeerId& peer, int64_t now_ms, Instant now);
  void on_dial_failed(const PeerId& peer, Instant now);
  // Every connected peer was seen now (before a shutdown, whose disconnects may come too late).
  void touch_connected(int64_t now_ms);

  const PeerRecord* find(const PeerId& peer) const;
  bool connected(const PeerId& peer) const;
  // Up to `n` peers worth dialling now: not connected, with an address, out of backoff.
  // Bootstrap peers first, then the most recently seen.
  std::vector<PeerId> dial_candidates(size_t n, Instant now) const;
  // The peer's addresses with /p2p/<peer> appended, best first.
  std::vector<Multiaddr> dial_addrs(const PeerId& peer) const;
  // Every record, most recently seen first.
  std::vector<PeerRecord> list() const;

  PeerChanges take_changes();
  size_t size() const { return peers_.size(); }
  const PeerStoreStats& stats() const { return stats_; }
  const PeerStoreConfig& config() const { return config_; }

 private:
  struct Entry {
    PeerRecord record;
    size_t connections = 0;
    unsigned dial_failures = 0;
    Instant next_dial_at{};
  };
  Entry* get_or_create(const PeerId& peer, int64_t now_ms);
  bool evict_one();
  void merge_addr(Entry& e, const Multiaddr& addr, int64_t now_ms);
  void changed(const PeerId& peer);

  PeerStoreConfig config_;
  std::map<PeerId, Entry> peers_;
  std::set<PeerId> changed_;
  std::set<PeerId> removed_;
  PeerStoreStats stats_;
};

}  // namespace agora::host
