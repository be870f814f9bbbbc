// Provider records: which peers said they provide a content multihash (ADD_PROVIDER), kept in
// memory with bounds that one peer, or one network, cannot use up. SQLite persistence is a
// separate piece in store/.
//
// A record expires provider_validity (48 h) after it was last added; its addresses are returned
// only for provider_addrs_validity (30 min, as go and js keep them), after which a caller has to
// find the peer's addresses itself.
//
// Quotas (each record counts for the peer that provides and for the IP group it wrote from, the
// /24 or /64 of its connection, see host/ip_group.h ip_group; a record with no group counts
// the peer as a group of its own):
//   - a peer at records_per_peer_max has its new records refused (Errc::limit: an overflow);
//   - a group at records_per_ip_group_max makes room by evicting the oldest record of the
//     group's largest peer; the newcomer is refused only if it is that peer;
//   - a key at providers_per_key_max replaces the oldest record of the IP group holding most of
//     the key's records, so twenty identities from one network cannot keep an honest provider out;
//   - a store at records_max evicts the oldest record of the largest peer of the largest group;
//     again only the largest contributor itself is refused.
// Our own records (add_own) are exempt from quotas and never evicted. Evicted records are listed
// for take_evicted() so a persistent copy can drop them too.
//
// Memory: at most records_max records; each costs its peer id, at most addrs_per_provider_max
// addresses of addr_bytes_max, its group and two index entries, about 300 bytes with short
// addresses (1.3 KiB with the longest), plus the key once per key. Choosing an eviction scans the
// groups (at most records_max) and the largest group's peers; it happens once per accepted record
// at most, which the ADD_PROVIDER rate limit (AddProviderGate) bounds.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "base/time.h"
#include "proto/kad/message.h"

namespace agora::kad {

struct ProviderStoreConfig {
  size_t records_max = 65536;  // all keys together
  size_t providers_per_key_max = 20;
  size_t records_per_peer_max = 4096;
  size_t records_per_ip_group_max = 8192;
  size_t addrs_per_provider_max = 4;
  size_t addr_bytes_max = 256;
  Duration provider_validity = std::chrono::hours(48);
  Duration provider_addrs_validity = std::chrono::minutes(30);
};

struct ProviderRecord {
  PeerInfo peer;
  Instant added{};
  Bytes group;  // the quota group it counts for (the IP group, or the peer itself)
};

// A record dropped to make room, or because its peer was banned.
struct EvictedProvider {
  Bytes key;
  PeerId peer;
  bool operator==(const EvictedProvider&) const = default;
};

class ProviderStore {
 public:
  explicit ProviderStore(ProviderStoreConfig config = {}) : config_(config) {}

  // Adds or refreshes `provider` for `key` (a multihash), sent from `ip_group` (empty: unknown).
  // Errc::limit when the provider is over its quota (see above); nothing is evicted then.
  Status add(BytesView key, const PeerInfo& provider, BytesView ip_group, Instant now);
  // A record loaded from the database, oldest last: the same quotas as add(), but a full quota
  // refuses it instead of evicting (what is already loaded is newer and stays).
  Status restore(BytesView key, const PeerInfo& provider, BytesView ip_group, Instant added);
  // Our own record: no quota, never evicted; makes room like any newcomer. Errc::limit only
  // when the store holds nothing but our own records.
  Status add_own(BytesView key, const PeerInfo& self, Instant now);
  // Drops every record of `peer` (a banned peer); they are listed by take_evicted().
  size_t remove_peer(const PeerId& peer);
  // Records evicted since the last call (not those that expired).
  std::vector<EvictedProvider> take_evicted() { return std::exchange(evicted_, {}); }

  // Live providers of `key`, most recently added first.
  std::vector<PeerInfo> providers(BytesView key, Instant now) const;
  std::vector<ProviderRecord> records(BytesView key, Instant now) const;
  // Drops expired records and empty keys.
  void expire(Instant now);
  size_t key_count() const { return keys_.size(); }
  size_t record_count() const { return records_; }
  size_t peer_record_count(const PeerId& peer) const;
  const ProviderStoreConfig& config() const { return config_; }

 private:
  using KeyMap = std::map<Bytes, std::vector<ProviderRecord>>;
  struct PeerShare {
    std::set<std::pair<Instant, const Bytes*>> by_age;  // its records: when added, which key
  };
  struct GroupShare {
    size_t records = 0;
    std::map<PeerId, size_t> peers;  // records per peer in this group
  };

  // How a record finds room when a quota is full: evict the largest contributor's oldest record,
  // or (restoring from the database, newest first) refuse.
  enum class Room { evict, refuse };
  Status add_record(BytesView key, const PeerInfo& provider, Bytes group, bool own, Room room,
                    Instant now);
  bool refresh(KeyMap::iterator kit, const PeerInfo& provider, Instant now);
  Status make_room(const PeerId& adder, const Bytes& group, BytesView key, bool own, Room room,
                   Instant now);
  bool evict_from_key(KeyMap::iterator kit);
  bool evict_oldest_of(const PeerId& peer, const Bytes* group);
  // The peer with most records in `g`; on a tie, not `adder`.
  std::optional<PeerId> largest_peer(const GroupShare& g, const PeerId& adder) const;
  const Bytes* largest_group() const;
  void index_add(const Bytes* key, const ProviderRecord& r);
  void index_remove(const Bytes* key, const ProviderRecord& r);
  // Erases list[i] of `kit` (and the key once empty); `evicted` lists it for take_evicted().
  void erase_record(KeyMap::iterator kit, size_t i, bool evicted);
  void drop_expired(KeyMap::iterator kit, Instant now);
  bool expired(const ProviderRecord& r, Instant now) const {
    return now - r.added >= config_.provider_validity;
  }

  ProviderStoreConfig config_;
  KeyMap keys_;
  std::map<PeerId, PeerShare> peers_;
  std::map<Bytes, GroupShare> groups_;
  std::vector<EvictedProvider> evicted_;
  Instant expired_at_{};  // the last full expiry make_room ran
  static constexpr Duration kExpireInterval = std::chrono::minutes(1);
  size_t records_ = 0;
};

// Admission of ADD_PROVIDER per peer, sans-I/O: a token bucket (rate_per_s, burst) and a count
// of overflows (records refused by the rate or a quota) within overflow_window; a peer that
// reaches overflows_before_ban is to be banned. At most peers_max peers are tracked; past it,
// peers whose bucket is full again and who have no recent overflow are forgotten (they would
// start in the same state; a banned peer is kept until its ban ends), and if none is, a
// newcomer is admitted untracked.
struct AddProviderGateConfig {
  double rate_per_s = 100;
  double burst = 1000;
  size_t overflows_before_ban = 10000;
  Duration overflow_window = std::chrono::minutes(10);
  size_t peers_max = 4096;
};

class AddProviderGate {
 public:
  explicit AddProviderGate(AddProviderGateConfig config = {}) : config_(config) {}
  // Takes one token: false when `peer` is over its rate.
  bool admit(const PeerId& peer, Instant now);
  // Counts one refused record; true once the peer has overflowed overflows_before_ban times
  // within overflow_window (then it is to be banned).
  bool overflowed(const PeerId& peer, Instant now);
  // Refuses `peer` for overflow_window: requests already on their way when the runtime cut it
  // off must not store anything either.
  void ban(const PeerId& peer, Instant now);
  bool banned(const PeerId& peer, Instant now) const;
  size_t tracked() const { return peers_.size(); }

 private:
  struct State {
    double tokens = 0;
    Instant refilled{};
    size_t overflows = 0;
    Instant window_start{};
    Instant banned_until{};
  };
  State* state(const PeerId& peer, Instant now);
  void refill(State& s, Instant now) const;
  void prune(Instant now);

  AddProviderGateConfig config_;
  std::map<PeerId, State> peers_;
  // Peers beyond peers_max (all tracked ones still active) share this one bucket: a horde of
  // identities is rate-limited together, never let through unlimited. They are never banned.
  State untracked_;
  bool untracked_started_ = false;
  Instant pruned_at_{};  // pruning scans every peer: at most once per prune_interval
  static constexpr Duration kPruneInterval = std::chrono::seconds(1);
};

}  // namespace agora::kad
