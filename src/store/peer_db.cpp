#include "store/peer_db.h"

#include <algorithm>
#include <cstdint>

namespace agora::store {
namespace {

// peers schema, version by version (SqliteDb::migrate). Never edit a shipped step: add one.
constexpr const char* kPeerMigrations[] = {
    // 1: one row per peer; its addresses and identify protocols in their own tables.
    // latency_us is -1 when never measured; sources is a PeerSource bit set.
    "CREATE TABLE peers("
    "  peer BLOB PRIMARY KEY NOT NULL,"
    "  first_seen_ms INTEGER NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL,"
    "  latency_us INTEGER NOT NULL,"
    "  sources INTEGER NOT NULL,"
    "  agent TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX peers_by_last_seen ON peers(last_seen_ms);"
    "CREATE TABLE peer_addrs("
    "  peer BLOB NOT NULL REFERENCES peers(peer) ON DELETE CASCADE,"
    "  addr BLOB NOT NULL,"
    "  last_seen_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (peer, addr)) WITHOUT ROWID;"
    "CREATE TABLE peer_protocols("
    "  peer BLOB NOT NULL REFERENCES peers(peer) ON DELETE CASCADE,"
    "  protocol TEXT NOT NULL,"
    "  PRIMARY KEY (peer, protocol)) WITHOUT ROWID;",
};

// Deletes what lies beyond the limits: the least recently seen peers, each peer's least recently
// seen addresses, and protocols past the first protocols_per_peer_max in sort order.
constexpr const char* kTrimPeers =
    "DELETE FROM peers WHERE peer NOT IN "
    "(SELECT peer FROM peers ORDER BY last_seen_ms DESC, peer LIMIT ?1)";
constexpr const char* kTrimAddrs =
    "DELETE FROM peer_addrs WHERE (peer, addr) IN (SELECT peer, addr FROM (SELECT peer, addr, "
    "row_number() OVER (PARTITION BY peer ORDER BY last_seen_ms DESC, addr) AS n "
    "FROM peer_addrs) WHERE n > ?1)";
constexpr const char* kTrimProtocols =
    "DELETE FROM peer_protocols WHERE (peer, protocol) IN (SELECT peer, protocol FROM (SELECT "
    "peer, protocol, row_number() OVER (PARTITION BY peer ORDER BY protocol) AS n "
    "FROM peer_protocols) WHERE n > ?1)";

int64_t as_int(size_t n) { return int64_t(std::min<size_t>(n, size_t(INT64_MAX))); }

}  // namespace

Result<std::unique_ptr<PeerDb>> PeerDb::open(const std::filesystem::path& db_path) {
  AGORA_ASSIGN(std::unique_ptr<SqliteDb> db, SqliteDb::open(db_path));
  // A cache: a crash of the process loses nothing (WAL), power loss at most the last commits.
  AGORA_TRY(db->exec("PRAGMA synchronous=NORMAL"));
  AGORA_TRY(db->migrate("peers", kPeerMigrations));
  return std::unique_ptr<PeerDb>(new PeerDb(std::move(db)));
}

Result<PeerDbLoad> PeerDb::load(const PeerDbLimits& limits) {
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  const std::pair<const char*, size_t> trims[] = {{kTrimPeers, limits.peers_max},
                                                  {kTrimAddrs, limits.addrs_per_peer_max},
                                                  {kTrimProtocols, limits.protocols_per_peer_max}};
  for (auto [sql, max] : trims) {
    AGORA_ASSIGN(SqliteStmt trim, db_->prepare(sql));
    trim.bind(1, as_int(max));
    AGORA_TRY(trim.run());
  }
  AGORA_ASSIGN(SqliteStmt peers,
               db_->prepare("SELECT peer, first_seen_ms, last_seen_ms, latency_us, sources, agent "
                            "FROM peers ORDER BY last_seen_ms DESC, peer"));
  AGORA_ASSIGN(SqliteStmt addrs, db_->prepare("SELECT addr, last_seen_ms FROM peer_addrs WHERE "
                                              "peer = ?1 ORDER BY last_seen_ms DESC, addr"));
  AGORA_ASSIGN(SqliteStmt protocols, db_->prepare("SELECT protocol FROM peer_protocols WHERE "
                                                  "peer = ?1 ORDER BY protocol"));
  PeerDbLoad out;
  for (;;) {
    AGORA_ASSIGN(bool row, peers.step());
    if (!row) break;
    auto id = PeerId::from_bytes(peers.column_blob(0));
    if (!id.ok()) {
      ++out.rows_skipped;
      continue;
    }
    host::PeerRecord r;
    r.peer = *id;
    r.first_seen_ms = peers.column_int(1);
    r.last_seen_ms = peers.column_int(2);
    if (int64_t latency = peers.column_int(3); latency >= 0) r.latency_us = latency;
    r.sources = uint32_t(peers.column_int(4));
    r.agent = std::string(peers.column_text(5));
    addrs.reset();
    addrs.bind(1, BytesView(r.peer.bytes()));
    for (;;) {
      AGORA_ASSIGN(bool arow, addrs.step());
      if (!arow) break;
      auto addr = Multiaddr::from_bytes(addrs.column_blob(0));
      if (!addr.ok() || addr->peer_id()) {
        ++out.rows_skipped;
        continue;
      }
      r.addrs.push_back({std::move(addr).value(), addrs.column_int(1)});
    }
    protocols.reset();
    protocols.bind(1, BytesView(r.peer.bytes()));
    for (;;) {
      AGORA_ASSIGN(bool prow, protocols.step());
      if (!prow) break;
      if (protocols.column_text(0).empty()) {
        ++out.rows_skipped;
        continue;
      }
      r.protocols.emplace_back(protocols.column_text(0));
    }
    out.peers.push_back(std::move(r));
  }
  AGORA_TRY(txn.commit());
  return out;
}

Status PeerDb::remove_one(const PeerId& peer) {
  AGORA_ASSIGN(SqliteStmt del, db_->prepare("DELETE FROM peers WHERE peer = ?1"));
  del.bind(1, BytesView(peer.bytes()));
  return del.run();
}

Status PeerDb::save_one(const host::PeerRecord& r) {
  // Replacing the peer row cascades to its addresses and protocols.
  AGORA_TRY(remove_one(r.peer));
  AGORA_ASSIGN(SqliteStmt ins,
               db_->prepare("INSERT INTO peers(peer, first_seen_ms, last_seen_ms, latency_us, "
                            "sources, agent) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  ins.bind(1, BytesView(r.peer.bytes()))
      .bind(2, r.first_seen_ms)
      .bind(3, r.last_seen_ms)
      .bind(4, r.latency_us.value_or(-1))
      .bind(5, int64_t(r.sources))
      .bind(6, std::string_view(r.agent));
  AGORA_TRY(ins.run());
  AGORA_ASSIGN(SqliteStmt addr, db_->prepare("INSERT INTO peer_addrs(peer, addr, last_seen_ms) "
                                             "VALUES(?1, ?2, ?3) ON CONFLICT DO NOTHING"));
  for (const PeerAddress& a : r.addrs) {
    addr.reset();
    Bytes bytes = a.addr.to_bytes();
    addr.bind(1, BytesView(r.peer.bytes())).bind(2, BytesView(bytes)).bind(3, a.last_seen_ms);
    AGORA_TRY(addr.run());
  }
  AGORA_ASSIGN(SqliteStmt proto, db_->prepare("INSERT INTO peer_protocols(peer, protocol) "
                                              "VALUES(?1, ?2) ON CONFLICT DO NOTHING"));
  for (const std::string& p : r.protocols) {
    proto.reset();
    proto.bind(1, BytesView(r.peer.bytes())).bind(2, std::string_view(p));
    AGORA_TRY(proto.run());
  }
  return {};
}

Status PeerDb::save(std::span<const host::PeerRecord> changed, std::span<const PeerId> removed) {
  if (changed.empty() && removed.empty()) return {};
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  for (const PeerId& peer : removed) AGORA_TRY(remove_one(peer));
  for (const host::PeerRecord& r : changed) AGORA_TRY(save_one(r));
  return txn.commit();
}

Result<size_t> PeerDb::count() {
  AGORA_ASSIGN(SqliteStmt q, db_->prepare("SELECT count(*) FROM peers"));
  AGORA_ASSIGN(bool row, q.step());
  if (!row) return make_error(Errc::internal, "peer count returned no row");
  return size_t(q.column_int(0));
}

}  // namespace agora::store
