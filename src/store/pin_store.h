// Pins in agora.db: which blocks GC must keep.
//
// A pin is (CID, name). A recursive pin keeps the CID's whole DAG, a direct pin the one block.
// Several names may pin the same CID; the unnamed pin has the name "". As in kubo, one CID is
// pinned either directly or recursively, never both: pinning recursively a CID that has direct
// pins turns them all recursive (their names stay), and a direct pin of a recursively pinned CID
// is refused. Pins are keyed by the full CID (a CIDv0 and its CIDv1 are two pins of one DAG):
// the codec tells GC how to find the links.
//
// Thread safe: calls are serialised.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/cid.h"
#include "store/sqlite_db.h"

namespace agora::store {

inline constexpr const char* kDatabaseFile = "agora.db";
inline constexpr size_t kPinNameBytesMax = 255;

enum class PinType { direct, recursive };
const char* pin_type_name(PinType type);  // "direct", "recursive"

struct Pin {
  Cid cid;
  PinType type;
  std::string name;  // "" when unnamed
};

struct PinRemoveOptions {
  // Only the pin with this name; otherwise every pin of the CID.
  std::optional<std::string> name;
  // false refuses to remove a recursive pin (kubo's `pin rm --recursive=false`).
  bool recursive = true;
};

struct PinFilter {
  std::optional<PinType> type;
  std::optional<std::string> name;
};

struct PinCounts {
  uint64_t direct = 0;     // distinct CIDs pinned directly
  uint64_t recursive = 0;  // distinct CIDs pinned recursively
  uint64_t named = 0;      // pins with a non-empty name
};

class PinStore {
 public:
  // Opens (creating and migrating as needed) the pin tables of the database at `db_path`,
  // normally <repo>/agora.db.
  static Result<std::unique_ptr<PinStore>> open(const std::filesystem::path& db_path);

  // Idempotent. Errc::exists when pinning directly a CID pinned recursively; Errc::invalid_input
  // for an empty CID or a bad name (over kPinNameBytesMax bytes, or control characters).
  Status add(const Cid& cid, PinType type, std::string_view name = {});
  // Errc::not_found "<cid> is not pinned" (it may still be kept by a recursive pin of a parent:
  // find_indirect_pin_root in store/dag_walk.h tells), or "has no pin named ...";
  // Errc::invalid_input when options.recursive is false and the CID is pinned recursively.
  Status remove(const Cid& cid, const PinRemoveOptions& options = {});

  Result<std::vector<Pin>> list(const PinFilter& filter = {}) const;  // ordered by CID, name
  Result<std::vector<Pin>> pins_of(const Cid& cid) const;
  // The CID's own pin type, or nothing. Indirect pins (inside a recursive DAG) are not seen here.
  Result<std::optional<PinType>> pin_type(const Cid& cid) const;
  Result<bool> is_pinned(const Cid& cid) const;
  Result<PinCounts> counts() const;

  const std::filesystem::path& path() const { return db_->path(); }

 private:
  explicit PinStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Result<std::vector<Pin>> query(std::string_view sql, const Cid* cid,
                                 const PinFilter& filter) const;

  mutable std::mutex mutex_;  // one transaction at a time on the shared connection
  std::unique_ptr<SqliteDb> db_;
};

}  // namespace agora::store
