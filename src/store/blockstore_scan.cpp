// Walking the shard directories.
#include <sys/stat.h>

#include "store/blockstore.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

// Fills in what a directory entry says about a block file; false when it vanished meanwhile.
bool describe(const fs::path& path, std::string_view shard, BlockFileEntry& entry) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  entry.path = path;
  entry.size_bytes = uint64_t(st.st_size);
  entry.disk_bytes = uint64_t(st.st_blocks) * 512;
  entry.hash.reset();
  entry.bad_name_reason.clear();
  if (!S_ISREG(st.st_mode)) {
    entry.bad_name_reason = "not a regular file";
    return true;
  }
  auto hash = parse_block_file_name(path.filename().native());
  if (!hash.ok()) {
    entry.bad_name_reason = hash.error().message;
    return true;
  }
  std::string key = block_key(*hash);
  if (block_shard(key) != shard) {
    entry.bad_name_reason = "in shard directory " + std::string(shard) + ", belongs in " +
                            std::string(block_shard(key));
    return true;
  }
  entry.hash = std::move(hash).value();
  return true;
}

Status scan_shard(const fs::path& shard_dir, std::string_view shard,
                  const std::function<Status(const BlockFileEntry&)>& visit) {
  std::error_code ec;
  BlockFileEntry entry;
  for (auto it = fs::directory_iterator(shard_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (!describe(it->path(), shard, entry)) continue;
    AGORA_TRY(visit(entry));
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return make_error(Errc::io, shard_dir.string() + ": " + ec.message());
  return {};
}

}  // namespace

Status Blockstore::for_each_file(const std::function<Status(const BlockFileEntry&)>& visit) const {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir_, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string shard = it->path().filename().string();
    std::error_code type_ec;
    if (shard_index(shard) < 0 || !it->is_directory(type_ec)) continue;  // SHARDING, .tmp
    AGORA_TRY(scan_shard(it->path(), shard, visit));
  }
  if (ec) return make_error(Errc::io, dir_.string() + ": " + ec.message());
  return {};
}

Status Blockstore::for_each(
    const std::function<Status(const Multihash& hash, uint64_t size_bytes)>& visit) const {
  AGORA_TRY(for_each_file([&](const BlockFileEntry& entry) -> Status {
    if (!entry.hash) return {};
    return visit(*entry.hash, entry.size_bytes);
  }));
  // References whose block also has a file were visited above.
  return for_each_ref([&](const FileRefEntry& entry) -> Status {
    struct stat st {};
    if (::stat(path_of(entry.hash).c_str(), &st) == 0) return {};
    return visit(entry.hash, entry.ref.length);
  });
}

}  // namespace agora::store
