#include "store/dht_db.h"

#include <algorithm>
#include <cstdint>

#include "codec/varint.h"

namespace agora::store {
namespace {

// dht schema, version by version (SqliteDb::migrate). Never edit a shipped step: add one.
constexpr const char* kDhtMigrations[] = {
    // 1: provider records by (content multihash, provider), our provided keys, the routing
    // table. addrs: binary multiaddrs packed as uvarint(length) || bytes.
    "CREATE TABLE dht_providers("
    "  key BLOB NOT NULL,"
    "  peer BLOB NOT NULL,"
    "  addrs BLOB NOT NULL,"
    "  added_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (key, peer)) WITHOUT ROWID;"
    "CREATE INDEX dht_providers_by_added ON dht_providers(added_ms);"
    "CREATE TABLE dht_provided("
    "  key BLOB PRIMARY KEY NOT NULL,"
    "  provided_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE dht_routing("
    "  peer BLOB PRIMARY KEY NOT NULL,"
    "  addrs BLOB NOT NULL) WITHOUT ROWID;",
    // 2: the IP group a provider record came from, so loading applies the group quota too.
    "ALTER TABLE dht_providers ADD COLUMN ip_group BLOB NOT NULL DEFAULT x'';",
};

constexpr const char* kTrimProviders =
    "DELETE FROM dht_providers WHERE (key, peer) NOT IN "
    "(SELECT key, peer FROM dht_providers ORDER BY added_ms DESC, key, peer LIMIT ?1)";
constexpr const char* kTrimProvided =
    "DELETE FROM dht_provided WHERE key NOT IN "
    "(SELECT key FROM dht_provided ORDER BY provided_ms DESC, key LIMIT ?1)";
constexpr const char* kTrimRouting =
    "DELETE FROM dht_routing WHERE peer NOT IN (SELECT peer FROM dht_routing ORDER BY peer "
    "LIMIT ?1)";

int64_t as_int(size_t n) { return int64_t(std::min<size_t>(n, size_t(INT64_MAX))); }

Result<size_t> changes(SqliteDb& db) {
  AGORA_ASSIGN(SqliteStmt q, db.prepare("SELECT changes()"));
  AGORA_ASSIGN(bool row, q.step());
  return row ? size_t(q.column_int(0)) : 0;
}

}  // namespace

Bytes pack_dht_addrs(const std::vector<Bytes>& addrs) {
  Bytes out;
  for (const Bytes& a : addrs) {
    put_uvarint(out, a.size());
    append(out, a);
  }
  return out;
}

Result<std::vector<Bytes>> unpack_dht_addrs(BytesView blob, size_t max, size_t addr_bytes_max) {
  std::vector<Bytes> out;
  while (!blob.empty()) {
    AGORA_ASSIGN(Uvarint len, read_uvarint(blob));
    if (len.value > addr_bytes_max || len.value > blob.size() - len.size)
      return make_error(Errc::invalid_input, "dht db: bad address list");
    if (out.size() < max) {
      BytesView a = blob.subspan(len.size, size_t(len.value));
      out.emplace_back(a.begin(), a.end());
    }
    blob = blob.subspan(len.size + size_t(len.value));
  }
  return out;
}

Result<std::unique_ptr<DhtDb>> DhtDb::open(const std::filesystem::path& db_path) {
  AGORA_ASSIGN(std::unique_ptr<SqliteDb> db, SqliteDb::open(db_path));
  AGORA_TRY(db->exec("PRAGMA synchronous=NORMAL"));
  AGORA_TRY(db->migrate("dht", kDhtMigrations));
  return std::unique_ptr<DhtDb>(new DhtDb(std::move(db)));
}

Result<DhtDbLoad> DhtDb::load(const DhtDbLimits& limits, int64_t now_ms) {
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  DhtDbLoad out;
  AGORA_ASSIGN(out.providers_expired, expire_providers(now_ms - limits.provider_validity_ms));
  const std::pair<const char*, size_t> trims[] = {{kTrimProviders, limits.providers_max},
                                                  {kTrimProvided, limits.provided_max},
                                                  {kTrimRouting, limits.routing_max}};
  for (auto [sql, max] : trims) {
    AGORA_ASSIGN(SqliteStmt trim, db_->prepare(sql));
    trim.bind(1, as_int(max));
    AGORA_TRY(trim.run());
  }
  auto addrs_of = [&](BytesView blob) {
    return unpack_dht_addrs(blob, limits.addrs_per_peer_max, limits.addr_bytes_max);
  };
  auto key_ok = [&](BytesView key) { return !key.empty() && key.size() <= limits.key_bytes_max; };

  AGORA_ASSIGN(SqliteStmt providers,
               db_->prepare("SELECT key, peer, addrs, added_ms, ip_group FROM dht_providers "
                            "ORDER BY added_ms DESC, key, peer"));
  for (;;) {
    AGORA_ASSIGN(bool row, providers.step());
    if (!row) break;
    auto peer = PeerId::from_bytes(providers.column_blob(1));
    auto addrs = addrs_of(providers.column_blob(2));
    BytesView key = providers.column_blob(0);
    if (!peer || !addrs || !key_ok(key)) {
      ++out.rows_skipped;
      continue;
    }
    BytesView group = providers.column_blob(4);
    out.providers.push_back({Bytes(key.begin(), key.end()), std::move(peer).value(),
                             std::move(addrs).value(), providers.column_int(3),
                             Bytes(group.begin(), group.end())});
  }
  AGORA_ASSIGN(SqliteStmt provided, db_->prepare("SELECT key, provided_ms FROM dht_provided "
                                                 "ORDER BY provided_ms DESC, key"));
  for (;;) {
    AGORA_ASSIGN(bool row, provided.step());
    if (!row) break;
    BytesView key = provided.column_blob(0);
    if (!key_ok(key)) {
      ++out.rows_skipped;
      continue;
    }
    out.provided.push_back({Bytes(key.begin(), key.end()), provided.column_int(1)});
  }
  AGORA_ASSIGN(SqliteStmt routing, db_->prepare("SELECT peer, addrs FROM dht_routing"));
  for (;;) {
    AGORA_ASSIGN(bool row, routing.step());
    if (!row) break;
    auto peer = PeerId::from_bytes(routing.column_blob(0));
    auto addrs = addrs_of(routing.column_blob(1));
    if (!peer || !addrs) {
      ++out.rows_skipped;
      continue;
    }
    out.routing.push_back({std::move(peer).value(), std::move(addrs).value()});
  }
  AGORA_TRY(txn.commit());
  return out;
}

Status DhtDb::put_providers(std::span<const DhtProviderRow> rows) {
  if (rows.empty()) return {};
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_ASSIGN(SqliteStmt put,
               db_->prepare("INSERT OR REPLACE INTO dht_providers(key, peer, addrs, added_ms, "
                            "ip_group) VALUES(?1, ?2, ?3, ?4, ?5)"));
  for (const DhtProviderRow& r : rows) {
    put.reset();
    Bytes addrs = pack_dht_addrs(r.addrs);
    put.bind(1, BytesView(r.key))
        .bind(2, BytesView(r.peer.bytes()))
        .bind(3, BytesView(addrs))
        .bind(4, r.added_ms)
        .bind(5, BytesView(r.ip_group));
    AGORA_TRY(put.run());
  }
  return txn.commit();
}

Status DhtDb::delete_providers(std::span<const DhtProviderId> ids) {
  if (ids.empty()) return {};
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_ASSIGN(SqliteStmt del,
               db_->prepare("DELETE FROM dht_providers WHERE key = ?1 AND peer = ?2"));
  for (const DhtProviderId& id : ids) {
    del.reset();
    del.bind(1, BytesView(id.key)).bind(2, BytesView(id.peer.bytes()));
    AGORA_TRY(del.run());
  }
  return txn.commit();
}

Status DhtDb::replace_provided(std::span<const DhtProvidedRow> rows) {
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_TRY(db_->exec("DELETE FROM dht_provided"));
  AGORA_ASSIGN(SqliteStmt put, db_->prepare("INSERT OR REPLACE INTO dht_provided(key, "
                                            "provided_ms) VALUES(?1, ?2)"));
  for (const DhtProvidedRow& r : rows) {
    put.reset();
    put.bind(1, BytesView(r.key)).bind(2, r.provided_ms);
    AGORA_TRY(put.run());
  }
  return txn.commit();
}

Status DhtDb::replace_routing(std::span<const DhtRoutingRow> rows) {
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_TRY(db_->exec("DELETE FROM dht_routing"));
  AGORA_ASSIGN(SqliteStmt put,
               db_->prepare("INSERT OR REPLACE INTO dht_routing(peer, addrs) VALUES(?1, ?2)"));
  for (const DhtRoutingRow& r : rows) {
    put.reset();
    Bytes addrs = pack_dht_addrs(r.addrs);
    put.bind(1, BytesView(r.peer.bytes())).bind(2, BytesView(addrs));
    AGORA_TRY(put.run());
  }
  return txn.commit();
}

Result<size_t> DhtDb::expire_providers(int64_t before_ms) {
  AGORA_ASSIGN(SqliteStmt del, db_->prepare("DELETE FROM dht_providers WHERE added_ms < ?1"));
  del.bind(1, before_ms);
  AGORA_TRY(del.run());
  return changes(*db_);
}

Result<size_t> DhtDb::provider_count() {
  AGORA_ASSIGN(SqliteStmt q, db_->prepare("SELECT count(*) FROM dht_providers"));
  AGORA_ASSIGN(bool row, q.step());
  if (!row) return make_error(Errc::internal, "provider count returned no row");
  return size_t(q.column_int(0));
}

}  // namespace agora::store
