// The persistent peer store in agora.db: for each peer we know, its addresses, the protocols and
// agent identify reported, when we last saw it, the last latency we measured and how we found it.
//
// This is a cache, not a record of truth: a row that no longer decodes (a bad peer id or
// multiaddr) is skipped and counted rather than failing the load. The in-memory PeerStore
// (host/peer_store.h) decides what to keep; this class only mirrors it to disk. Writes use
// synchronous=NORMAL: in WAL mode a commit survives a crash of the process, and at worst the
// last seconds of peer updates are lost on power failure, which the next run relearns.
//
// Not thread safe: use one PeerDb from one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/multiaddr.h"
#include "host/peer_record.h"
#include "store/sqlite_db.h"

namespace agora::store {

// The record types live in host/ (the in-memory PeerStore uses them without SQLite); this is
// their persistent copy.
using host::bit;
using host::kAllPeerSources;
using host::peer_source_name;
using host::peer_source_names;
using host::PeerAddress;
using host::PeerRecord;
using host::PeerSource;

struct PeerDbLimits {
  size_t peers_max = 1000;
  size_t addrs_per_peer_max = 16;
  size_t protocols_per_peer_max = 128;
};

struct PeerDbLoad {
  std::vector<host::PeerRecord> peers;  // most recently seen first
  size_t rows_skipped = 0;              // undecodable peer ids, addresses or protocols
};

class PeerDb {
 public:
  // Opens (creating and migrating as needed) the peer tables of the database at `db_path`,
  // normally <repo>/agora.db.
  static Result<std::unique_ptr<PeerDb>> open(const std::filesystem::path& db_path);

  // The peers_max most recently seen peers, each with its addrs_per_peer_max most recently seen
  // addresses and at most protocols_per_peer_max protocols; older rows are deleted, so the
  // database stays within the limits too.
  Result<PeerDbLoad> load(const PeerDbLimits& limits);
  // In one transaction: replaces each record in `changed` (its addresses and protocols too) and
  // deletes the peers in `removed`.
  Status save(std::span<const host::PeerRecord> changed, std::span<const PeerId> removed);
  Result<size_t> count();

  const std::filesystem::path& path() const { return db_->path(); }

 private:
  explicit PeerDb(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status save_one(const host::PeerRecord& record);
  Status remove_one(const PeerId& peer);
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace agora::store
