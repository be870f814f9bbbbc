// Kademlia routing table: k-buckets indexed by the common prefix length (CPL) with our own key.
//
// Bucket i holds up to k peers whose key shares exactly i leading bits with ours, ordered from
// least to most recently seen. A new peer for a full bucket waits in the bucket's replacement
// cache (up to replacements_max, newest kept) and, unless the caller says the newcomer only waits
// (OnFullBucket::wait) or it was seen within liveness_check_after, the least-recently-seen entry
// gets a liveness check: if it answers it stays (moved to most
// recent), if not it is dropped and the newest replacement takes its place. Only server-mode peers
// belong here; the caller decides that.
//
// Memory (the simulator runs 100,000 tables in one process): buckets are created up to the
// deepest CPL seen and sized to what they hold; an entry is stored as its key, id, addresses
// packed into one buffer (at most addrs_per_peer_max) and two instants, about 176 bytes with its
// allocations. The replacement cache is kept short by default (rust-libp2p keeps one pending
// entry per bucket, go none): a cache of k would double the table's memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/time.h"
#include "proto/kad/key.h"
#include "proto/kad/message.h"

namespace agora::kad {

struct RoutingConfig {
  size_t k = 20;                // bucket size
  size_t replacements_max = 4;  // per bucket
  size_t addrs_per_peer_max = 4;
  size_t addr_bytes_max = 256;  // longer addresses are not kept
  // A full bucket's least-recently-seen entry is checked only if not seen for this long;
  // otherwise it is presumed alive and the newcomer just waits as a replacement. Without it a
  // busy node would check on every answer from a peer it has no room for.
  Duration liveness_check_after = std::chrono::minutes(1);
};

struct RoutingEntry {
  Key key;
  PeerId id;
  std::vector<Bytes> addrs;
  Instant last_seen{};
  Instant added{};
  PeerInfo info() const { return PeerInfo{id, addrs}; }
};

// What a full bucket does with a newcomer besides caching it as a replacement.
enum class OnFullBucket : uint8_t {
  check_oldest,  // check the least-recently-seen entry (unless seen lately or already checked)
  wait,          // nothing: the newcomer only waits in the replacement cache
};

enum class UpdateOutcome : uint8_t {
  inserted,      // new entry in its bucket
  refreshed,     // already present: last_seen and addresses updated
  check_needed,  // bucket full: peer cached as a replacement; `check` needs a liveness check
  pending,       // bucket full, checked already or seen recently: peer cached as a replacement
  ignored,       // our own id
};

struct UpdateResult {
  UpdateOutcome outcome;
  std::optional<PeerInfo> check;  // with check_needed: the least-recently-seen entry
};

// What a removal changed: the peer that left and the replacement that took its place, if any.
struct RemoveResult {
  bool removed = false;
  std::optional<PeerInfo> promoted;
};

class RoutingTable {
 public:
  RoutingTable(const PeerId& self, RoutingConfig config = {});

  UpdateResult update(const PeerInfo& peer, Instant now,
                      OnFullBucket on_full = OnFullBucket::check_oldest);
  // Refreshes last_seen of an existing entry only (e.g. it sent us a request); true if present.
  bool touch(const PeerId& peer, Instant now);
  // Answer to a liveness check asked for by update(). Alive: the entry becomes most recent.
  // Dead: it is removed and the newest replacement promoted. Unknown peers: nothing happens.
  RemoveResult on_liveness_result(const PeerId& peer, bool alive, Instant now);
  // Removes the entry (or a cached replacement) and promotes the newest replacement.
  RemoveResult remove(const PeerId& peer, Instant now);

  // A lookup for `target` ended; bucket refresh skips buckets looked up recently.
  void mark_lookup(const Key& target, Instant now);
  std::optional<Instant> last_lookup(size_t cpl) const;

  // The n entries closest to `target`, closest first.
  std::vector<RoutingEntry> closest(const Key& target, size_t n) const;
  bool contains(const PeerId& peer) const;
  std::optional<RoutingEntry> find(const PeerId& peer) const;

  size_t size() const { return size_; }
  size_t bucket_count() const { return buckets_.size(); }  // deepest CPL seen + 1
  size_t bucket_size(size_t cpl) const;
  size_t replacement_count(size_t cpl) const;
  bool checking(size_t cpl) const;  // a liveness check is outstanding for this bucket
  const Key& self_key() const { return self_key_; }
  const RoutingConfig& config() const { return config_; }
  // Every entry, bucket by bucket (for dumps and tests).
  std::vector<RoutingEntry> entries() const;

 private:
  // Stored form of an entry: addresses packed as uvarint(len) || bytes, one allocation.
  struct Slot {
    Key key;
    PeerId id;
    Bytes addrs;
    Instant last_seen{};
    Instant added{};
  };
  struct Bucket {
    std::vector<Slot> entries;       // least recently seen first
    std::vector<Slot> replacements;  // newest last
    std::optional<PeerId> checking;  // entry under a liveness check
    std::optional<Instant> last_lookup;
  };

  Bucket* bucket_for(const Key& key);
  Bucket* existing_bucket(const PeerId& peer, const Key& key);
  const Bucket* existing_bucket(const Key& key) const;
  Slot make_slot(const PeerInfo& peer, const Key& key, Instant now) const;
  Bytes pack_addrs(const std::vector<Bytes>& addrs) const;
  static RoutingEntry unpack(const Slot& slot);
  RemoveResult remove_at(Bucket& bucket, size_t index, Instant now);

  PeerId self_;
  Key self_key_;
  RoutingConfig config_;
  std::vector<Bucket> buckets_;
  size_t size_ = 0;
};

}  // namespace agora::kad
