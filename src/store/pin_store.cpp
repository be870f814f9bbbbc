#include "store/pin_store.h"

namespace agora::store {
namespace {

// pins schema, version by version (SqliteDb::migrate). Never edit a shipped step: add one.
constexpr const char* kPinMigrations[] = {
    // 1: pins keyed by (binary CID, name); type 0 = direct, 1 = recursive.
    "CREATE TABLE pins("
    "  cid BLOB NOT NULL,"
    "  name TEXT NOT NULL,"
    "  type INTEGER NOT NULL CHECK (type IN (0, 1)),"
    "  PRIMARY KEY (cid, name)) WITHOUT ROWID;"
    "CREATE INDEX pins_by_type ON pins(type, cid);",
};

// By CID: a primary key lookup. The filtered list reads the whole table anyway.
constexpr const char* kSelectPinsOfCid =
    "SELECT cid, type, name FROM pins WHERE cid = ?1 ORDER BY name";
constexpr const char* kSelectPins =
    "SELECT cid, type, name FROM pins WHERE (?2 IS NULL OR type = ?2) AND "
    "(?3 IS NULL OR name = ?3) ORDER BY cid, name";

constexpr int64_t kDirect = 0;
constexpr int64_t kRecursive = 1;

int64_t type_value(PinType type) { return type == PinType::recursive ? kRecursive : kDirect; }

std::string in_quotes(std::string_view name) { return "'" + std::string(name) + "'"; }

// "'a', 'b'" for error messages; the unnamed pin shows as ''.
std::string pin_names(const std::vector<Pin>& pins) {
  std::string out;
  for (const Pin& p : pins) out += (out.empty() ? "" : ", ") + in_quotes(p.name);
  return out;
}

Status check_name(std::string_view name) {
  if (name.size() > kPinNameBytesMax)
    return make_error(Errc::invalid_input, "pin name of " + std::to_string(name.size()) +
                                               " bytes; at most " +
                                               std::to_string(kPinNameBytesMax) + " allowed");
  for (char c : name)
    if (uint8_t(c) < 0x20 || c == 0x7f)
      return make_error(Errc::invalid_input, "pin name contains a control character");
  return {};
}

}  // namespace

const char* pin_type_name(PinType type) {
  return type == PinType::recursive ? "recursive" : "direct";
}

Result<std::unique_ptr<PinStore>> PinStore::open(const std::filesystem::path& db_path) {
  AGORA_ASSIGN(std::unique_ptr<SqliteDb> db, SqliteDb::open(db_path));
  AGORA_TRY(db->migrate("pins", kPinMigrations));
  return std::unique_ptr<PinStore>(new PinStore(std::move(db)));
}

Result<std::vector<Pin>> PinStore::query(std::string_view sql, const Cid* cid,
                                         const PinFilter& filter) const {
  AGORA_ASSIGN(SqliteStmt q, db_->prepare(sql));
  if (cid != nullptr) q.bind(1, BytesView(cid->bytes()));
  if (filter.type) q.bind(2, type_value(*filter.type));
  if (filter.name) q.bind(3, std::string_view(*filter.name));
  std::vector<Pin> out;
  for (;;) {
    AGORA_ASSIGN(bool row, q.step());
    if (!row) return out;
    auto parsed = Cid::from_bytes(q.column_blob(0));
    // Refused rather than skipped: GC must never act on a pin set it could not read in full.
    if (!parsed.ok())
      return make_error(Errc::invalid_input, db_->path().string() + ": pin with a bad CID (" +
                                                 to_hex(q.column_blob(0)) +
                                                 "): " + parsed.error().message);
    out.push_back(Pin{std::move(parsed).value(),
                      q.column_int(1) == kRecursive ? PinType::recursive : PinType::direct,
                      std::string(q.column_text(2))});
  }
}

Status PinStore::add(const Cid& cid, PinType type, std::string_view name) {
  if (cid.empty()) return make_error(Errc::invalid_input, "cannot pin an empty CID");
  AGORA_TRY(check_name(name));
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_ASSIGN(std::vector<Pin> existing, query(kSelectPinsOfCid, &cid, {}));
  bool has_recursive = false;
  bool has_direct = false;
  for (const Pin& p : existing) (p.type == PinType::recursive ? has_recursive : has_direct) = true;
  if (type == PinType::direct && has_recursive)
    return make_error(Errc::exists, cid.to_string() + " is already pinned recursively (pins: " +
                                        pin_names(existing) + ")");
  if (type == PinType::recursive && has_direct) {
    AGORA_ASSIGN(SqliteStmt up, db_->prepare("UPDATE pins SET type = ?2 WHERE cid = ?1"));
    up.bind(1, BytesView(cid.bytes())).bind(2, kRecursive);
    AGORA_TRY(up.run());
  }
  AGORA_ASSIGN(SqliteStmt ins, db_->prepare("INSERT INTO pins(cid, name, type) VALUES(?1, ?2, ?3) "
                                            "ON CONFLICT(cid, name) DO NOTHING"));
  ins.bind(1, BytesView(cid.bytes())).bind(2, name).bind(3, type_value(type));
  AGORA_TRY(ins.run());
  return txn.commit();
}

Status PinStore::remove(const Cid& cid, const PinRemoveOptions& options) {
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteTransaction txn, SqliteTransaction::begin(*db_));
  AGORA_ASSIGN(std::vector<Pin> existing, query(kSelectPinsOfCid, &cid, {}));
  if (existing.empty()) return make_error(Errc::not_found, cid.to_string() + " is not pinned");
  bool matched = false;
  for (const Pin& p : existing) {
    if (options.name && p.name != *options.name) continue;
    matched = true;
    if (p.type == PinType::recursive && !options.recursive)
      return make_error(Errc::invalid_input, cid.to_string() + " is pinned recursively (pin " +
                                                 in_quotes(p.name) +
                                                 "); remove it as a recursive pin");
  }
  if (!matched)
    return make_error(Errc::not_found, cid.to_string() + " has no pin named " +
                                           in_quotes(*options.name) +
                                           " (its pins: " + pin_names(existing) + ")");
  AGORA_ASSIGN(SqliteStmt del,
               db_->prepare("DELETE FROM pins WHERE cid = ?1 AND (?2 IS NULL OR name = ?2)"));
  del.bind(1, BytesView(cid.bytes()));
  if (options.name) del.bind(2, std::string_view(*options.name));
  AGORA_TRY(del.run());
  return txn.commit();
}

Result<std::vector<Pin>> PinStore::list(const PinFilter& filter) const {
  std::lock_guard lock(mutex_);
  return query(kSelectPins, nullptr, filter);
}

Result<std::vector<Pin>> PinStore::pins_of(const Cid& cid) const {
  std::lock_guard lock(mutex_);
  return query(kSelectPinsOfCid, &cid, {});
}

Result<std::optional<PinType>> PinStore::pin_type(const Cid& cid) const {
  AGORA_ASSIGN(std::vector<Pin> pins, pins_of(cid));
  if (pins.empty()) return std::optional<PinType>();
  return std::optional<PinType>(pins.front().type);  // all pins of one CID share the type
}

Result<bool> PinStore::is_pinned(const Cid& cid) const {
  AGORA_ASSIGN(std::optional<PinType> type, pin_type(cid));
  return type.has_value();
}

Result<PinCounts> PinStore::counts() const {
  std::lock_guard lock(mutex_);
  AGORA_ASSIGN(SqliteStmt q,
               db_->prepare("SELECT (SELECT count(DISTINCT cid) FROM pins WHERE type = 0), "
                            "(SELECT count(DISTINCT cid) FROM pins WHERE type = 1), "
                            "(SELECT count(*) FROM pins WHERE name != '')"));
  AGORA_ASSIGN(bool row, q.step());
  if (!row) return make_error(Errc::internal, "pin count returned no row");
  return PinCounts{uint64_t(q.column_int(0)), uint64_t(q.column_int(1)), uint64_t(q.column_int(2))};
}

}  // namespace agora::store
