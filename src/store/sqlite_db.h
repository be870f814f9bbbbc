// A small SQLite 3 wrapper for agora.db: errors as values, prepared statements, transactions, and
// per-component schema versions with forward migrations.
//
// agora.db is shared by several components (pins, and later peers, providers, transfers); each
// records its own schema version in `schema_versions` and migrates its own tables.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "base/bytes.h"

struct sqlite3;
struct sqlite3_stmt;

namespace agora::store {

inline constexpr int kSqliteBusyTimeoutMs = 5000;

class SqliteStmt {
 public:
  SqliteStmt() = default;
  SqliteStmt(SqliteStmt&& o) noexcept;
  SqliteStmt& operator=(SqliteStmt&& o) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  ~SqliteStmt();

  // Binding indices start at 1, as in SQLite.
  SqliteStmt& bind(int index, BytesView blob);
  SqliteStmt& bind(int index, std::string_view text);
  SqliteStmt& bind(int index, int64_t value);
  // True when a row is ready, false when done.
  Result<bool> step();
  Status run();  // steps to completion, for statements without rows
  void reset();  // clears bindings too

  BytesView column_blob(int index) const;
  std::string_view column_text(int index) const;
  int64_t column_int(int index) const;

 private:
  friend class SqliteDb;
  SqliteStmt(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  void note_bind(int rc);
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_rc_ = 0;  // the first failed bind, reported by step()
};

class SqliteDb {
 public:
  // Opens or creates `path`: WAL journal, FULL sync (a committed change survives power loss),
  // busy timeout, foreign keys on.
  static Result<std::unique_ptr<SqliteDb>> open(const std::filesystem::path& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status exec(std::string_view sql);  // one or more statements without results
  Result<SqliteStmt> prepare(std::string_view sql);
  const std::filesystem::path& path() const { return path_; }

  // Brings `component`'s tables to version migrations.size(): migrations[i] takes version i to
  // i + 1. Each step runs in its own transaction. A database newer than this code is refused.
  Status migrate(std::string_view component, std::span<const char* const> migrations);
  Result<int64_t> schema_version(std::string_view component);

 private:
  SqliteDb(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::filesystem::path path_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed without commit().
class SqliteTransaction {
 public:
  static Result<SqliteTransaction> begin(SqliteDb& db);
  SqliteTransaction(SqliteTransaction&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();
  Status commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

}  // namespace agora::store
