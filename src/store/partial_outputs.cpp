#include "store/partial_outputs.h"

#include "crypto/random.h"
#include "store/file_util.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRecordSuffix = ".partial";

// True when `path` looks like a temporary that partial_output_path() made.
bool is_partial_name(const fs::path& path) {
  std::string name = path.filename().string();
  return path.is_absolute() && name.size() > 1 && name[0] == '.' &&
         name.find(kPartialMarker) != std::string::npos;
}

// Removes what `record` names. Sets `keep_record` when a later start should try again.
LeftoverPartial remove_recorded(const fs::path& record, bool& keep_record,
                                const std::function<void(const fs::path&)>& before_remove) {
  LeftoverPartial out;
  keep_record = false;
  auto text = read_file(record, kPartialRecordBytesMax);
  if (!text.ok()) {
    out.error = text.error().message;
    return out;
  }
  out.path = fs::path(*text);
  if (!is_partial_name(out.path)) {
    out.error = "not an export temporary; left alone";
    return out;
  }
  std::error_code ec;
  if (fs::symlink_status(out.path, ec).type() == fs::file_type::not_found) return out;
  if (before_remove) before_remove(out.path);
  fs::remove_all(out.path, ec);  // a symlink is removed itself, never followed
  if (ec) {
    out.error = ec.message();
    keep_record = true;
    return out;
  }
  out.removed = true;
  return out;
}

}  // namespace

fs::path partial_output_path(const fs::path& dest) {
  uint8_t rnd[6];
  crypto::random_bytes(rnd, sizeof rnd);
  return dest.parent_path() / ("." + dest.filename().string() + kPartialMarker + to_hex(rnd));
}

Result<fs::path> record_partial_output(const fs::path& repo, const fs::path& partial) {
  if (!is_partial_name(partial))
    return make_error(Errc::internal, partial.string() + ": not an export temporary");
  fs::path dir = repo / kPartialOutputsDir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(Errc::io, dir.string() + ": cannot create: " + ec.message());
  uint8_t rnd[8];
  crypto::random_bytes(rnd, sizeof rnd);
  fs::path record = dir / (to_hex(rnd) + kRecordSuffix);
  AGORA_TRY(write_file_atomic(record, partial.string(), 0600));
  return record;
}

Status forget_partial_output(const fs::path& record) {
  std::error_code ec;
  fs::remove(record, ec);
  if (ec) return make_error(Errc::io, record.string() + ": cannot remove: " + ec.message());
  return {};
}

Result<std::vector<LeftoverPartial>> remove_partial_outputs(
    const fs::path& repo, const std::function<void(const fs::path&)>& before_remove) {
  std::vector<LeftoverPartial> out;
  fs::path dir = repo / kPartialOutputsDir;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  std::vector<fs::path> entries;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    entries.push_back(it->path());
  if (ec) return make_error(Errc::io, dir.string() + ": cannot list: " + ec.message());
  for (const fs::path& entry : entries) {
    // Only whole records count; a write_file_atomic leftover (".tmp.<pid>") is just dropped.
    bool keep_record = false;
    if (entry.extension() == kRecordSuffix) {
      LeftoverPartial left = remove_recorded(entry, keep_record, before_remove);
      if (left.removed || !left.error.empty()) out.push_back(std::move(left));
    }
    if (!keep_record) fs::remove(entry, ec);
  }
  return out;
}

}  // namespace agora::store
