#include "store/file_refs.h"

#include <limits>

namespace agora::store {
namespace {

namespace fs = std::filesystem;

// file_refs schema, version by version (SqliteDb::migrate). Never edit a shipped step: add one.
constexpr const char* kFileRefMigrations[] = {
    // 1: one reference per multihash; paths as TEXT holding the path's bytes as they are.
    "CREATE TABLE file_refs("
    "  hash BLOB PRIMARY KEY NOT NULL,"
    "  path TEXT NOT NULL,"
    "  offset INTEGER NOT NULL,"
    "  length INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX file_refs_by_path ON file_refs(path);",
};

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// Rows whose path is `path` or lies under it: path = ?1 OR ?2 <= path < ?3, with ?2 = path + "/"
// and ?3 = path + "0" ('0' follows '/'), so the index serves both.
constexpr const char* kUnderPath = "(path = ?1 OR (path >= ?2 AND path < ?3))";

void bind_under(SqliteStmt& q, const std::string& path) {
  q.bind(1, std::string_view(path))
      .bind(2, std::string_view(path + "/"))
      .bind(3, std::string_view(path + "0"));
}

Bytes key_of(const Multihash& hash) { return encode_multihash(hash); }

// Rows the last statement on `db` changed.
Result<uint64_t> changed_rows(SqliteDb& db) {
  AGORA_ASSIGN(SqliteStmt q, db.prepare("SELECT changes()"));
  AGORA_ASSIGN(bool row, q.step());
  return row ? uint64_t(q.column_int(0)) : uint64_t(0);
}

}  // namespace

Result<fs::path> FileRefs::normalize(const fs::path& path) {
  if (path.empty()) return make_error(Errc::invalid_input, "empty file path");
  std::error_code ec;
  fs::path absolute = path.is_absolute() ? path : fs::absolute(path, ec);
  if (ec) return make_error(Errc::io, path.string() + ": cannot make absolute: " + ec.message());
  return absolute.lexically_normal();
}

Result<std::unique_ptr<FileRefs>> FileRefs::open(const fs::path& db_path, FileRefsConfig config) {
  AGORA_ASSIGN(std::unique_ptr<SqliteDb> db, SqliteDb::open(db_path));
  AGORA_TRY(db->migrate("file_refs", kFileRefMigrations));
  return std::unique_ptr<FileRefs>(new FileRefs(std::move(db), config));
}

Status FileRefs::check(const Multihash& hash, const FileRef& ref) const {
  if (hash.code == kMhIdentity)
    return make_error(Errc::invalid_input, "an identity multihash needs no file reference");
  const std::string& path = ref.path.native();
  if (path.empty() || path.size() > kFileRefPathBytesMax)
    return make_error(Errc::invalid_input, "file reference path of " + std::to_string(path.size()) +
                                               " bytes (1 to " +
                                               std::to_string(kFileRefPathBytesMax) + " allowed)");
  if (ref.length == 0 || ref.length > config_.length_max)
    return make_error(Errc::invalid_input, "file reference of " + std::to_string(ref.length) +
                                               " bytes into " + path + " (1 to " +
                                               std::to_string(config_.length_max) + " allowed)");
  if (ref.offset > uint64_t(kInt64Max) - ref.length)
    return make_error(Errc::invalid_input, "file reference offset " + std::to_string(ref.offset) +
                                               " into " + path + " is out of range");
  return {};
}

Status FileRefs::add(std::span<const std::pair<Multihash, FileRef>> refs) {
  std::vector<std::pair<Bytes, FileRef>> rows;
  rows.reserve(refs.size());
  for (const auto& [hash, ref] : refs) {
    AGORA_ASSIGN(fs::path path, normalize(ref.path));
    FileRef normal{std::move(path), ref.offset, ref.length};
    AGORA_TRY(check(hash, normal));
    rows.emplace_back(key_of(hash), std::move(normal));
  }
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_ASSIGN(SqliteStmt ins,
               db_->prepare("INSERT INTO file_refs(hash, path, offset, length) "
                            "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(hash) DO UPDATE SET "
                            "path = excluded.path, offset = excluded.offset, "
                            "length = excluded.length"));
  for (const auto& [key, ref] : rows) {
    ins.reset();
    ins.bind(1, BytesView(key))
        .bind(2, std::string_view(ref.path.native()))
        .bind(3, int64_t(ref.offset))
        .bind(4, int64_t(ref.length));
    AGORA_TRY(ins.run());
  }
  return txn.commit();
}

// Columns 1..3 of `q` are path, offset, length.
std::string FileRefs::read_row(const SqliteStmt& q, FileRef& ref) const {
  std::string_view path = q.column_text(1);
  int64_t offset = q.column_int(2);
  int64_t length = q.column_int(3);
  ref = FileRef{};
  if (path.size() > kFileRefPathBytesMax)
    return "path of " + std::to_string(path.size()) + " bytes, over " +
           std::to_string(kFileRefPathBytesMax);
  ref.path = fs::path(std::string(path));
  ref.offset = offset < 0 ? 0 : uint64_t(offset);
  ref.length = length < 0 ? 0 : uint64_t(length);
  if (!ref.path.is_absolute()) return "path '" + std::string(path) + "' is not absolute";
  if (offset < 0 || length <= 0 || offset > kInt64Max - length)
    return "offset " + std::to_string(offset) + " and length " + std::to_string(length) +
           " are out of range";
  if (ref.length > config_.length_max)
    return "length " + std::to_string(ref.length) + " is over the " +
           std::to_string(config_.length_max) + "-byte block limit";
  return "";
}

Result<std::optional<FileRef>> FileRefs::find(const Multihash& hash) const {
  Bytes key = key_of(hash);
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteStmt q,
               db_->prepare("SELECT hash, path, offset, length FROM file_refs WHERE hash = ?1"));
  q.bind(1, BytesView(key));
  AGORA_ASSIGN(bool row, q.step());
  if (!row) return std::optional<FileRef>();
  FileRef ref;
  std::string problem = read_row(q, ref);
  if (!problem.empty())
    return make_error(Errc::invalid_input, db_->path().string() +
                                               ": corrupt file reference for multihash " +
                                               to_hex(key) + ": " + problem);
  return std::optional<FileRef>(std::move(ref));
}

Status FileRefs::remove(const Multihash& hash) {
  Bytes key = key_of(hash);
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteStmt del, db_->prepare("DELETE FROM file_refs WHERE hash = ?1"));
  del.bind(1, BytesView(key));
  return del.run();
}

Result<bool> FileRefs::remove_if_same(const Multihash& hash, const FileRef& seen) {
  Bytes key = key_of(hash);
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteStmt del,
               db_->prepare("DELETE FROM file_refs WHERE hash = ?1 AND path = ?2 AND "
                            "offset = ?3 AND length = ?4"));
  if (seen.offset > uint64_t(kInt64Max) || seen.length > uint64_t(kInt64Max)) return false;
  del.bind(1, BytesView(key))
      .bind(2, std::string_view(seen.path.native()))
      .bind(3, int64_t(seen.offset))
      .bind(4, int64_t(seen.length));
  AGORA_TRY(del.run());
  AGORA_ASSIGN(uint64_t removed, changed_rows(*db_));
  return removed > 0;
}

Result<uint64_t> FileRefs::remove_file(const fs::path& path) {
  AGORA_ASSIGN(fs::path normal, normalize(path));
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_ASSIGN(SqliteStmt del,
               db_->prepare(std::string("DELETE FROM file_refs WHERE ") + kUnderPath));
  bind_under(del, normal.native());
  AGORA_TRY(del.run());
  AGORA_ASSIGN(uint64_t removed, changed_rows(*db_));
  AGORA_TRY(txn.commit());
  return removed;
}

Result<uint64_t> FileRefs::rename_file(const fs::path& from, const fs::path& to) {
  AGORA_ASSIGN(fs::path old_path, normalize(from));
  AGORA_ASSIGN(fs::path new_path, normalize(to));
  if (new_path.native().size() > kFileRefPathBytesMax)
    return make_error(Errc::invalid_input, "rename of file references to a path over " +
                                               std::to_string(kFileRefPathBytesMax) + " bytes");
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  // The tail after `from` is cut as bytes (substr of a BLOB), so any path bytes survive.
  AGORA_ASSIGN(SqliteStmt up, db_->prepare(std::string("UPDATE file_refs SET path = ?4 || "
                                                       "CAST(substr(CAST(path AS BLOB), ?5) AS "
                                                       "TEXT) WHERE ") +
                                           kUnderPath));
  bind_under(up, old_path.native());
  up.bind(4, std::string_view(new_path.native())).bind(5, int64_t(old_path.native().size()) + 1);
  AGORA_TRY(up.run());
  AGORA_ASSIGN(uint64_t moved, changed_rows(*db_));
  AGORA_TRY(txn.commit());
  return moved;
}

Result<std::vector<FileRefEntry>> FileRefs::page(const Bytes& after, bool first) const {
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteStmt q, db_->prepare("SELECT hash, path, offset, length FROM file_refs "
                                          "WHERE ?1 IS NULL OR hash > ?1 ORDER BY hash LIMIT ?2"));
  if (!first) q.bind(1, BytesView(after));
  q.bind(2, int64_t(kFileRefPageRows));
  std::vector<FileRefEntry> out;
  for (;;) {
    AGORA_ASSIGN(bool row, q.step());
    if (!row) return out;
    auto hash = decode_multihash(q.column_blob(0));
    // Refused rather than skipped: a walk that GC or verify acts on must see every row.
    if (!hash.ok())
      return make_error(Errc::invalid_input,
                        db_->path().string() + ": file reference with a bad multihash (" +
                            to_hex(q.column_blob(0)) + "): " + hash.error().message);
    FileRefEntry entry{std::move(hash).value(), {}, {}};
    entry.problem = read_row(q, entry.ref);
    out.push_back(std::move(entry));
  }
}

Status FileRefs::for_each(const std::function<Status(const FileRefEntry& entry)>& visit) const {
  Bytes after;
  bool first = true;
  for (;;) {
    AGORA_ASSIGN(std::vector<FileRefEntry> rows, page(after, first));
    for (const FileRefEntry& entry : rows) AGORA_TRY(visit(entry));
    if (rows.size() < kFileRefPageRows) return {};
    after = key_of(rows.back().hash);
    first = false;
  }
}

Result<uint64_t> FileRefs::count() const {
  AGORA_ASSIGN(FileRefTotals t, totals());
  return t.refs;
}

Result<FileRefTotals> FileRefs::totals() const {
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteStmt q,
               db_->prepare("SELECT count(*), coalesce(sum(max(length, 0)), 0) FROM file_refs"));
  AGORA_ASSIGN(bool row, q.step());
  if (!row) return make_error(Errc::internal, "file reference count returned no row");
  return FileRefTotals{uint64_t(q.column_int(0)), uint64_t(q.column_int(1))};
}

}  // namespace agora::store
