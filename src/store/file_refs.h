// Blocks that live inside a user's file (kubo's filestore): a table in agora.db mapping a block's
// multihash to (file, offset, length). `agora add --nocopy` records the leaves of the files it
// adds; a download that writes leaves straight into its destination records them too. The
// blockstore reads through these references and re-hashes every such block (store/blockstore.h):
// the file is the user's, and it may change or vanish at any time.
//
// Paths are stored absolute and lexically normalised (a relative path is made absolute against
// the current directory first). One reference per multihash: adding another replaces it.
//
// Bounds: add() refuses a length over FileRefsConfig::length_max and a path over
// kFileRefPathBytesMax. A row read back that breaks a bound (a hand-edited or damaged agora.db)
// is reported as corrupt (find: Errc::invalid_input; for_each: FileRefEntry::problem), never
// used to size an allocation. for_each reads the table in pages of kFileRefPageRows.
//
// Thread safe: calls are serialised on one connection. for_each's visitor runs outside the lock,
// between pages, so it may call any method (GC removes references while it walks them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "codec/multihash.h"
#include "store/sqlite_db.h"

namespace agora::store {

inline constexpr size_t kFileRefPathBytesMax = 4096;  // PATH_MAX
inline constexpr size_t kFileRefPageRows = 512;

struct FileRef {
  std::filesystem::path path;  // absolute, normalised
  uint64_t offset = 0;         // of the block's first byte in the file
  uint64_t length = 0;         // the block's size in bytes
  bool operator==(const FileRef&) const = default;
};

// One row, as for_each sees it. A row that breaks a bound has `problem` set and `ref` holds what
// could be read (its path empty when that was too long).
struct FileRefEntry {
  Multihash hash;
  FileRef ref;
  std::string problem;
};

struct FileRefTotals {
  uint64_t refs = 0;
  uint64_t bytes = 0;  // sum of lengths
};

struct FileRefsConfig {
  uint64_t length_max = 4 << 20;  // the blockstore's block_bytes_max
};

class FileRefs {
 public:
  // Opens (creating and migrating as needed) the file_refs table of the database at `db_path`,
  // normally <repo>/agora.db, on a connection of its own (as PinStore does).
  static Result<std::unique_ptr<FileRefs>> open(const std::filesystem::path& db_path,
                                                FileRefsConfig config = {});

  // All or nothing, in one transaction. Errc::invalid_input for an empty path, a path over the
  // limit, an identity multihash, or a length of 0 or over length_max (nothing recorded).
  Status add(std::span<const std::pair<Multihash, FileRef>> refs);
  // Nothing when there is no reference; Errc::invalid_input for a corrupt row.
  Result<std::optional<FileRef>> find(const Multihash& hash) const;
  Status remove(const Multihash& hash);  // absent is fine
  // Removes the reference only if it is still `seen`: a reference found broken is dropped, one
  // recorded again meanwhile (a new download of the file) is kept. True when it removed one.
  Result<bool> remove_if_same(const Multihash& hash, const FileRef& seen);
  // Every reference into `path`, or into any file under it when it is a directory. Returns how
  // many were removed.
  Result<uint64_t> remove_file(const std::filesystem::path& path);
  // Points every reference into `from` (or into files under the directory `from`) at `to`, with
  // the same offsets: for a download written under a temporary name and renamed when complete.
  // Returns how many were moved.
  Result<uint64_t> rename_file(const std::filesystem::path& from, const std::filesystem::path& to);

  // Every row, ordered by multihash bytes. A visitor error stops the walk and is returned. Rows
  // added or removed during the walk may or may not be seen.
  Status for_each(const std::function<Status(const FileRefEntry& entry)>& visit) const;
  Result<uint64_t> count() const;
  Result<FileRefTotals> totals() const;

  const std::filesystem::path& path() const { return db_->path(); }
  const FileRefsConfig& config() const { return config_; }

  // The form paths are stored in: absolute, lexically normal. Errc::io when the current
  // directory cannot be read (relative input only).
  static Result<std::filesystem::path> normalize(const std::filesystem::path& path);

 private:
  FileRefs(std::unique_ptr<SqliteDb> db, FileRefsConfig config)
      : db_(std::move(db)), config_(config) {}
  Status check(const Multihash& hash, const FileRef& ref) const;
  // The row's fields, or why they break a bound.
  std::string read_row(const SqliteStmt& q, FileRef& ref) const;
  Result<std::vector<FileRefEntry>> page(const Bytes& after, bool first) const;

  mutable std::mutex mutex_;
  std::unique_ptr<SqliteDb> db_;
  FileRefsConfig config_;
};

}  // namespace agora::store
