#include "store/blockstore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/random.h"
#include "store/file_util.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

constexpr size_t kShardingFileBytesMax = 4096;

Status check_sharding(const fs::path& dir) {
  fs::path path = dir / kShardingFile;
  auto text = read_file(path, kShardingFileBytesMax);
  if (!text.ok() && text.error().code == Errc::not_found)
    return write_file_atomic(path, std::string(kShardingSpec) + "\n", 0644);
  if (!text.ok()) return text.error();
  std::string_view spec = *text;
  while (!spec.empty() && (spec.back() == '\n' || spec.back() == '\r' || spec.back() == ' '))
    spec.remove_suffix(1);
  if (spec != kShardingSpec)
    return make_error(Errc::unsupported, dir.string() + " is sharded as '" + std::string(spec) +
                                             "'; agora reads only '" + std::string(kShardingSpec) +
                                             "'");
  return {};
}

// Removes every leftover of an interrupted write; returns how many entries were removed.
Result<size_t> clean_temp_dir(const fs::path& temp_dir) {
  size_t removed = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(temp_dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::error_code rm_ec;
    fs::remove_all(it->path(), rm_ec);
    if (rm_ec)
      return make_error(
          Errc::io, it->path().string() + ": cannot remove leftover temp file: " + rm_ec.message());
    ++removed;
  }
  if (ec && ec != std::errc::no_such_file_or_directory)
    return make_error(Errc::io, temp_dir.string() + ": " + ec.message());
  bool created = false;
  AGORA_TRY(make_dir(temp_dir, &created));
  return removed;
}

std::string hash_text(const Multihash& hash) { return "with multihash " + block_key(hash); }

Error not_found_error(const std::string& what) {
  return make_error(Errc::not_found, "block " + what + " not found");
}

}  // namespace

Blockstore::Blockstore(fs::path dir, BlockstoreConfig config)
    : dir_(std::move(dir)),
      temp_dir_(dir_ / kBlockTempDir),
      config_(config),
      temp_prefix_(to_hex(crypto::random_bytes(8))),
      hashed_(config.hashed_stamps) {}

Blockstore::~Blockstore() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

Result<std::unique_ptr<Blockstore>> Blockstore::open(const fs::path& blocks_dir,
                                                     BlockstoreConfig config) {
  std::error_code ec;
  fs::create_directories(blocks_dir, ec);
  if (ec) return make_error(Errc::io, blocks_dir.string() + ": " + ec.message());
  AGORA_TRY(check_sharding(blocks_dir));
  std::unique_ptr<Blockstore> store(new Blockstore(blocks_dir, config));
  store->dir_fd_ = ::open(blocks_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (store->dir_fd_ < 0)
    return make_error(Errc::io, blocks_dir.string() + ": open: " + std::strerror(errno));
  AGORA_ASSIGN(store->temp_files_removed_at_open_, clean_temp_dir(store->temp_dir_));
  return store;
}

fs::path Blockstore::path_of(const Multihash& hash) const {
  return dir_ / block_relative_path(hash);
}

Status Blockstore::check_block(const Cid& cid, BytesView data, bool hash) const {
  if (cid.empty()) return make_error(Errc::invalid_input, "empty CID");
  if (data.size() > config_.block_bytes_max)
    return make_error(Errc::too_large, "block " + cid.to_string() + " is " +
                                           std::to_string(data.size()) + " bytes, over the " +
                                           std::to_string(config_.block_bytes_max) +
                                           "-byte block limit");
  uint64_t code = cid.hash().code;
  if (code != kMhSha2_256 && code != kMhIdentity)
    return make_error(Errc::unsupported, "block " + cid.to_string() + ": multihash function " +
                                             std::to_string(code) +
                                             " is not supported (only sha2-256)");
  if (hash && !cid.matches(data))
    return make_error(Errc::invalid_input,
                      "data does not hash to " + cid.to_string() + "; nothing stored");
  return {};
}

bool Blockstore::present_with_size(const fs::path& path, uint64_t size_bytes) const {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         uint64_t(st.st_size) == size_bytes;
}

Result<TempBlockFile> Blockstore::write_temp(const Cid& cid, BytesView data) const {
  fs::path path = temp_dir_ / (temp_prefix_ + "-" + std::to_string(temp_counter_++));
  return TempBlockFile::write(path, data, cid.to_string(), config_.fsync);
}

Result<bool> Blockstore::make_shard(size_t index) {
  if (shard_durable_[index].load()) return false;
  bool created = false;
  AGORA_TRY(make_dir(dir_ / shard_name(index), &created));
  // Even when it existed: a crash may have come before its entry was made durable.
  if (config_.fsync) return true;
  shard_made_durable(index);
  return false;
}

Status Blockstore::rename_into_place(TempBlockFile& file, const fs::path& dest,
                                     const Multihash& hash) {
  Status st = file.rename_to(dest);
  if (!st.ok() && st.error().code == Errc::not_found) st = rename_into_new_shard(file, dest);
  struct stat stat_after {};
  if (st.ok() && ::stat(dest.c_str(), &stat_after) == 0)
    hashed_.remember_written(hash, file_stamp(stat_after, 0), HashedStamps::Clock::now());
  return st;
}

Status Blockstore::rename_into_new_shard(TempBlockFile& file, const fs::path& dest) {
  // The shard directory vanished (removed by hand?): make it again, once.
  size_t index = size_t(shard_index(dest.parent_path().filename().native()));
  shard_durable_[index].store(false);
  AGORA_ASSIGN(bool unsynced, make_shard(index));
  if (unsynced) {
    AGORA_TRY(fsync_directory(dir_));
    shard_made_durable(index);
  }
  return file.rename_to(dest);
}

Status Blockstore::sync_filesystem(std::string_view after) const {
  if (::syncfs(dir_fd_) != 0)
    return make_error(Errc::io, std::string(std::strerror(errno)) +
                                    " while syncing the filesystem of " + dir_.string() +
                                    " after " + std::string(after));
  return {};
}

Status Blockstore::put(const Cid& cid, BytesView data) {
  AGORA_TRY(check_block(cid, data));
  if (cid.hash().code == kMhIdentity) return {};
  fs::path dest = path_of(cid.hash());
  if (present_with_size(dest, data.size())) return {};
  AGORA_ASSIGN(TempBlockFile file, write_temp(cid, data));
  if (config_.fsync) AGORA_TRY(file.sync());
  size_t shard = size_t(shard_index(dest.parent_path().filename().native()));
  AGORA_ASSIGN(bool unsynced_shard, make_shard(shard));
  if (unsynced_shard) {
    AGORA_TRY(fsync_directory(dir_));
    shard_made_durable(shard);
  }
  AGORA_TRY(rename_into_place(file, dest, cid.hash()));
  if (config_.fsync) AGORA_TRY(fsync_directory(dest.parent_path()));
  return {};
}

Result<Bytes> Blockstore::read(const Multihash& hash, const std::string& what) const {
  fs::path path = path_of(hash);
  auto data = read_block_file(path, config_.block_bytes_max, what);
  if (!data.ok() && data.error().code == Errc::not_found && file_refs_ != nullptr)
    return read_referenced(hash, what, data.error());
  if (!data.ok()) return data.error();
  if (config_.verify_on_read && hash.code == kMhSha2_256 &&
      multihash_sha2_256(*data).digest != hash.digest)
    return make_error(Errc::io, "block " + what + " (" + path.string() +
                                    ") is corrupt on disk: its content does not match its hash; "
                                    "`repo verify` quarantines it");
  return data;
}

Result<Bytes> Blockstore::get(const Cid& cid) const {
  if (cid.hash().code == kMhIdentity) return cid.hash().digest;
  return read(cid.hash(), cid.to_string());
}

Result<Blockstore::CheckedBlock> Blockstore::get_checked(const Cid& cid) const {
  const Multihash& hash = cid.hash();
  if (hash.code == kMhIdentity) return CheckedBlock{hash.digest, false};
  struct stat st {};
  auto data = read_block_file(path_of(hash), config_.block_bytes_max, cid.to_string(), &st);
  if (!data.ok() && data.error().code == Errc::not_found && file_refs_ != nullptr)
    return get_checked_referenced(hash, cid.to_string(), data.error());
  if (!data.ok()) return data.error();
  if (hash.code != kMhSha2_256) return CheckedBlock{std::move(data).value(), false};
  // Stamped before the read: a change during it shows as a new stamp next time. Only this store
  // writes under blocks/: no racy window to wait out.
  bool good = hashed_.verify(hash, file_stamp(st, 0), *data, /*store_wrote_it=*/true,
                             HashedStamps::Clock::now());
  return CheckedBlock{std::move(data).value(), !good};
}

Result<fs::path> Blockstore::quarantine(const Multihash& hash) {
  fs::path dir = quarantine_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(Errc::io, dir.string() + ": cannot create: " + ec.message());
  hashed_.forget(hash);
  AGORA_ASSIGN(fs::path moved, move_aside(path_of(hash), dir));
  if (config_.fsync) AGORA_TRY(fsync_directory(dir));
  return moved;
}

Result<Bytes> Blockstore::get(const Multihash& hash) const {
  if (hash.code == kMhIdentity) return hash.digest;
  return read(hash, hash_text(hash));
}

bool Blockstore::has(const Cid& cid) const { return has(cid.hash()); }

bool Blockstore::has(const Multihash& hash) const {
  if (hash.code == kMhIdentity) return true;
  struct stat st {};
  if (::stat(path_of(hash).c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  if (file_refs_ == nullptr) return false;
  auto ref = file_refs_->find(hash);
  if (!ref.ok() || !ref->has_value()) return false;
  // A reference into a file that is gone or too short holds nothing (a downloaded file the user
  // deleted): the block is fetched again rather than read and failed. A changed byte is found
  // when the block is read (every read re-hashes it).
  const FileRef& r = **ref;
  return ::stat(r.path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         uint64_t(st.st_size) >= r.offset + r.length;
}

Result<uint64_t> Blockstore::size(const Cid& cid) const {
  if (cid.hash().code == kMhIdentity) return uint64_t(cid.hash().digest.size());
  fs::path path = path_of(cid.hash());
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return uint64_t(st.st_size);
  if (errno != ENOENT) return block_io_error(errno, "examining", cid.to_string(), path);
  if (file_refs_ != nullptr) {
    AGORA_ASSIGN(std::optional<FileRef> ref, file_refs_->find(cid.hash()));
    if (ref) return ref->length;
  }
  return not_found_error(cid.to_string());
}

Status Blockstore::remove(const Cid& cid) { return remove_block(cid.hash(), cid.to_string()); }

Status Blockstore::remove(const Multihash& hash) { return remove_block(hash, hash_text(hash)); }

Status Blockstore::remove_block(const Multihash& hash, const std::string& what) {
  hashed_.forget(hash);
  if (hash.code == kMhIdentity) return {};
  fs::path path = path_of(hash);
  bool had_file = ::unlink(path.c_str()) == 0;
  if (!had_file && errno != ENOENT) return block_io_error(errno, "removing", what, path);
  bool had_ref = false;
  if (file_refs_ != nullptr) {
    auto ref = file_refs_->find(hash);
    had_ref = !ref.ok() || ref->has_value();  // a corrupt row goes too
    if (had_ref) AGORA_TRY(file_refs_->remove(hash));
  }
  if (!had_file && !had_ref) return not_found_error(what);
  return {};
}

Blockstore::Batch Blockstore::batch() { return Batch(this); }

}  // namespace agora::store
