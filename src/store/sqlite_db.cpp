#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace agora::store {
namespace {

Error db_error(sqlite3* db, std::string_view what) {
  int code = db != nullptr ? sqlite3_errcode(db) : SQLITE_ERROR;
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  std::string file = db != nullptr && sqlite3_db_filename(db, "main") != nullptr
                         ? sqlite3_db_filename(db, "main")
                         : "agora.db";
  Errc errc = code == SQLITE_BUSY || code == SQLITE_LOCKED ? Errc::timeout
              : code == SQLITE_CONSTRAINT                  ? Errc::exists
                                                           : Errc::io;
  return make_error(errc, file + ": " + std::string(what) + ": " + detail);
}

}  // namespace

SqliteStmt::SqliteStmt(SqliteStmt&& o) noexcept
    : stmt_(std::exchange(o.stmt_, nullptr)), db_(o.db_), bind_rc_(o.bind_rc_) {}

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    db_ = o.db_;
    bind_rc_ = o.bind_rc_;
  }
  return *this;
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(stmt_); }

// Binding errors (index out of range, out of memory) are kept and returned by step().
SqliteStmt& SqliteStmt::bind(int index, BytesView blob) {
  // A zero-length blob must not bind as NULL.
  static const uint8_t kEmpty = 0;
  note_bind(sqlite3_bind_blob(stmt_, index, blob.empty() ? &kEmpty : blob.data(), int(blob.size()),
                              SQLITE_TRANSIENT));
  return *this;
}

SqliteStmt& SqliteStmt::bind(int index, std::string_view text) {
  // A null data pointer would bind NULL, not the empty string.
  note_bind(sqlite3_bind_text(stmt_, index, text.data() != nullptr ? text.data() : "",
                              int(text.size()), SQLITE_TRANSIENT));
  return *this;
}

SqliteStmt& SqliteStmt::bind(int index, int64_t value) {
  note_bind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

void SqliteStmt::note_bind(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Result<bool> SqliteStmt::step() {
  if (bind_rc_ != SQLITE_OK)
    return make_error(Errc::internal,
                      std::string("binding a parameter of '") +
                          (sqlite3_sql(stmt_) != nullptr ? sqlite3_sql(stmt_) : "") +
                          "': " + sqlite3_errstr(bind_rc_));
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_error(db_, sqlite3_sql(stmt_) != nullptr ? sqlite3_sql(stmt_) : "step");
  sqlite3_reset(stmt_);
  return e;
}

Status SqliteStmt::run() {
  for (;;) {
    AGORA_ASSIGN(bool row, step());
    if (!row) return {};
  }
}

void SqliteStmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

BytesView SqliteStmt::column_blob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  if (p == nullptr || n <= 0) return {};
  return {static_cast<const uint8_t*>(p), size_t(n)};
}

std::string_view SqliteStmt::column_text(int index) const {
  const unsigned char* p = sqlite3_column_text(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  if (p == nullptr || n <= 0) return {};
  return {reinterpret_cast<const char*>(p), size_t(n)};
}

int64_t SqliteStmt::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = db_error(raw, "open");
    sqlite3_close(raw);
    return e;
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
  sqlite3_busy_timeout(raw, kSqliteBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 0);
  AGORA_TRY(db->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  // journal_mode reports, rather than fails, when WAL is impossible (some network filesystems).
  AGORA_ASSIGN(SqliteStmt mode, db->prepare("PRAGMA journal_mode"));
  AGORA_ASSIGN(bool row, mode.step());
  if (!row || mode.column_text(0) != "wal")
    return make_error(Errc::unsupported,
                      path.string() + ": SQLite cannot use WAL journaling on this filesystem");
  return db;
}

SqliteDb::~SqliteDb() { sqlite3_close_v2(db_); }

Status SqliteDb::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) return db_error(db_, text);
  return {};
}

Result<SqliteStmt> SqliteDb::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), int(sql.size()), &stmt, nullptr) != SQLITE_OK)
    return db_error(db_, "prepare '" + std::string(sql) + "'");
  return SqliteStmt(stmt, db_);
}

Result<int64_t> SqliteDb::schema_version(std::string_view component) {
  AGORA_TRY(
      exec("CREATE TABLE IF NOT EXISTS schema_versions("
           "component TEXT PRIMARY KEY NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID"));
  AGORA_ASSIGN(SqliteStmt q, prepare("SELECT version FROM schema_versions WHERE component = ?"));
  q.bind(1, component);
  AGORA_ASSIGN(bool row, q.step());
  return row ? q.column_int(0) : int64_t(0);
}

Status SqliteDb::migrate(std::string_view component, std::span<const char* const> migrations) {
  for (;;) {
    AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*this));
    AGORA_ASSIGN(int64_t version, schema_version(component));
    int64_t known = int64_t(migrations.size());
    if (version > known)
      return make_error(Errc::unsupported,
                        path_.string() + ": the " + std::string(component) +
                            " tables have schema version " + std::to_string(version) +
                            ", newer than this agora knows (" + std::to_string(known) +
                            "); use the newer agora release that wrote them");
    if (version == known) return txn.commit();
    Status st = exec(migrations[size_t(version)]);
    if (!st.ok())
      return make_error(st.error().code, "migrating " + std::string(component) + " from version " +
                                             std::to_string(version) + ": " + st.error().message);
    AGORA_ASSIGN(SqliteStmt set,
                 prepare("INSERT INTO schema_versions(component, version) VALUES(?, ?) "
                         "ON CONFLICT(component) DO UPDATE SET version = excluded.version"));
    set.bind(1, component).bind(2, version + 1);
    AGORA_TRY(set.run());
    AGORA_TRY(txn.commit());
  }
}

Result<SqliteTransaction> SqliteTransaction::begin(SqliteDb& db) {
  AGORA_TRY(db.exec("BEGIN IMMEDIATE"));
  return SqliteTransaction(&db);
}

SqliteTransaction::~SqliteTransaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status SqliteTransaction::commit() {
  SqliteDb* db = std::exchange(db_, nullptr);
  Status st = db->exec("COMMIT");
  if (!st.ok()) (void)db->exec("ROLLBACK");
  return st;
}

}  // namespace agora::store
