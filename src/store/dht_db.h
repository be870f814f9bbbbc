// The DHT's persistent state in agora.db: provider records other peers gave us (ADD_PROVIDER),
// the keys we provide ourselves (republished every 22 h, even across restarts), and the routing
// table, saved so that a restarted node starts with the peers it knew.
//
// Times are Unix milliseconds (wall clock): they must mean the same after a restart. Provider
// records are dropped 48 h (provider_validity_ms) after they were added, on load and on
// expire_providers(). Rows that no longer decode (a bad peer id or address) are skipped and
// counted. Writes use synchronous=NORMAL, as the peer store: a process crash loses nothing, a
// power failure at most the last writes, which peers repeat (providers republish).
//
// Not thread safe: use one DhtDb from one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "codec/peer_id.h"
#include "store/sqlite_db.h"

namespace agora::store {

// A provider record: `peer` provides the content whose multihash is `key`.
struct DhtProviderRow {
  Bytes key;
  PeerId peer;
  std::vector<Bytes> addrs;  // binary multiaddrs
  int64_t added_ms = 0;
  Bytes ip_group;  // the network it was sent from (host/ip_group.h ip_group); may be empty
  bool operator==(const DhtProviderRow&) const = default;
};

// Which provider record: the content multihash and the providing peer.
struct DhtProviderId {
  Bytes key;
  PeerId peer;
  bool operator==(const DhtProviderId&) const = default;
};

// A key we provide, and when we last sent it out.
struct DhtProvidedRow {
  Bytes key;
  int64_t provided_ms = 0;
  bool operator==(const DhtProvidedRow&) const = default;
};

// A routing-table entry.
struct DhtRoutingRow {
  PeerId peer;
  std::vector<Bytes> addrs;  // binary multiaddrs
  bool operator==(const DhtRoutingRow&) const = default;
};

struct DhtDbLimits {
  size_t providers_max = 65536;  // newest kept (KadConfig::provider_records_max)
  size_t provided_max = 65536;   // most recently provided kept
  size_t routing_max = 256 * 20;
  size_t addrs_per_peer_max = 4;
  size_t addr_bytes_max = 256;
  size_t key_bytes_max = 256;
  int64_t provider_validity_ms = 48 * 3600 * 1000;
};

struct DhtDbLoad {
  std::vector<DhtProviderRow> providers;  // newest first
  std::vector<DhtProvidedRow> provided;   // most recently provided first
  std::vector<DhtRoutingRow> routing;
  size_t rows_skipped = 0;
  size_t providers_expired = 0;  // deleted by this load
};

class DhtDb {
 public:
  // Opens (creating and migrating as needed) the DHT tables of the database at `db_path`,
  // normally <repo>/agora.db.
  static Result<std::unique_ptr<DhtDb>> open(const std::filesystem::path& db_path);

  // Deletes expired provider records, then reads everything within `limits` (rows past them are
  // deleted too, so the database stays within the limits).
  Result<DhtDbLoad> load(const DhtDbLimits& limits, int64_t now_ms);
  // Inserts or replaces provider records (one transaction).
  Status put_providers(std::span<const DhtProviderRow> rows);
  // Deletes provider records (evicted from memory: they must not come back at the next load).
  Status delete_providers(std::span<const DhtProviderId> ids);
  // Replaces the whole list of our provided keys (one transaction).
  Status replace_provided(std::span<const DhtProvidedRow> rows);
  // Replaces the whole saved routing table (one transaction).
  Status replace_routing(std::span<const DhtRoutingRow> rows);
  // Deletes provider records added before `before_ms`; returns how many.
  Result<size_t> expire_providers(int64_t before_ms);
  Result<size_t> provider_count();

 private:
  explicit DhtDb(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  std::unique_ptr<SqliteDb> db_;
};

// Addresses packed in one blob, uvarint(length) || bytes each (the column format).
Bytes pack_dht_addrs(const std::vector<Bytes>& addrs);
// Errc::invalid_input on a truncated blob or an address over addr_bytes_max; at most `max` kept.
Result<std::vector<Bytes>> unpack_dht_addrs(BytesView blob, size_t max, size_t addr_bytes_max);

}  // namespace agora::store
