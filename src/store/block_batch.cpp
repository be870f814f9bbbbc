// Blockstore::Batch: many blocks, one round of waits for the disk.
#include <bitset>

#include "store/blockstore.h"

namespace agora::store {

Status Blockstore::Batch::add(const Cid& cid, BytesView data) {
  AGORA_TRY(store_->check_block(cid, data));
  return add_verified(cid, data);
}

Status Blockstore::Batch::add_verified(const Cid& cid, BytesView data) {
  AGORA_TRY(store_->check_block(cid, data, /*hash=*/false));
  if (cid.hash().code == kMhIdentity) return {};
  std::filesystem::path dest = store_->path_of(cid.hash());
  if (store_->present_with_size(dest, data.size())) return {};
  for (const Pending& p : pending_)
    if (p.dest == dest) return {};  // the same block twice in one batch
  AGORA_ASSIGN(TempBlockFile file, store_->write_temp(cid, data));
  pending_.push_back({cid.hash(), std::move(dest), std::move(file)});
  pending_bytes_ += data.size();
  const BlockstoreConfig& config = store_->config_;
  if (pending_.size() >= config.batch_blocks_max || pending_bytes_ >= config.batch_bytes_max)
    return commit();
  return {};
}

Status Blockstore::Batch::commit() {
  // Taken out first: whatever happens below, the batch is empty afterwards, and the temp files
  // of blocks not renamed are removed when `items` goes away.
  std::vector<Pending> items = std::move(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  if (items.empty()) return {};
  const BlockstoreConfig& config = store_->config_;
  const bool whole_fs = config.fsync && config.batch_syncfs_blocks_min > 0 &&
                        items.size() >= config.batch_syncfs_blocks_min;
  const std::string what = std::to_string(items.size()) + " blocks";
  // Every file durable before any becomes visible: a failure here exposes nothing.
  if (whole_fs) {
    AGORA_TRY(store_->sync_filesystem("writing " + what));
  } else if (config.fsync) {
    for (Pending& p : items) AGORA_TRY(p.file.sync());
  }

  std::bitset<kShardCount> touched;
  std::bitset<kShardCount> new_shards;  // their entries need syncing too
  Status renamed;
  for (Pending& p : items) {
    size_t shard = size_t(shard_index(p.dest.parent_path().filename().native()));
    auto unsynced = store_->make_shard(shard);
    if (!unsynced.ok()) {
      renamed = unsynced.error();
      break;
    }
    if (*unsynced) new_shards.set(shard);
    renamed = store_->rename_into_place(p.file, p.dest, p.hash);
    if (!renamed.ok()) break;
    touched.set(shard);
  }
  // Also after a failed rename: the blocks already in place are complete and should stay.
  if (whole_fs) {
    AGORA_TRY(store_->sync_filesystem("renaming " + what));
  } else if (config.fsync) {
    if (new_shards.any()) AGORA_TRY(fsync_directory(store_->dir_));
    for (size_t i = 0; i < kShardCount; ++i)
      if (touched.test(i)) AGORA_TRY(fsync_directory(store_->dir_ / shard_name(i)));
  }
  for (size_t i = 0; i < kShardCount; ++i)
    if (new_shards.test(i)) store_->shard_made_durable(i);
  return renamed;
}

}  // namespace agora::store
