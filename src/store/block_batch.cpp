// Blockstore::Batch: many blocks, one round of waits for the disk.
#include <bitset>

#include "store/blockstore.h"

namespace agora::store {

Status Blockstore::Batch::add(const Cid& cid, BytesView data) {
  AGORA_TRY(store_->check_block(cid, data));
  if (cid.hash().code == kMhIdentity) return {};
  std::filesystem::path dest = store_->path_of(cid.hash());
  if (store_->present_with_size(dest, data.size())) return {};
  for (const Pending& p : pending_)
    if (p.dest == dest) return {};  // the same block twice in one batch
  AGORA_ASSIGN(TempBlockFile file, store_->write_temp(cid, data));
  pending_.push_back({dest.parent_path().filename().string(), std::move(dest), std::move(file)});
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
  const bool fsync = store_->config_.fsync;
  // Every file durable before any becomes visible: a failure here exposes nothing.
  if (fsync)
    for (Pending& p : items) AGORA_TRY(p.file.sync());

  std::bitset<kShardCount> touched;
  Status renamed;
  for (Pending& p : items) {
    renamed = store_->rename_into_place(p.file, p.dest, p.shard);
    if (!renamed.ok()) break;
    touched.set(size_t(shard_index(p.shard)));
  }
  if (fsync) {
    for (size_t i = 0; i < kShardCount; ++i) {
      if (!touched.test(i)) continue;
      const char shard[3] = {"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[i / 32],
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[i % 32], '\0'};
      AGORA_TRY(fsync_directory(store_->dir_ / shard));
    }
  }
  return renamed;
}

}  // namespace agora::store
