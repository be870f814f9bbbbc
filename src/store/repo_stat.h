// `agora repo stat`: what the blockstore holds, what is pinned, and the room left on the disk.
#pragma once

#include <cstdint>
#include <filesystem>

#include "store/blockstore.h"
#include "store/pin_store.h"

namespace agora::store {

struct RepoStat {
  std::filesystem::path blocks_dir;
  std::filesystem::path db_path;
  uint64_t blocks = 0;            // valid block files
  uint64_t block_bytes = 0;       // their content
  uint64_t block_disk_bytes = 0;  // allocated on disk for them
  // Blocks read through file references (store/file_refs.h): they take no room under blocks/.
  uint64_t referenced_blocks = 0;
  uint64_t referenced_bytes = 0;
  PinCounts pins;
  uint64_t fs_free_bytes = 0;  // available to this user on the blocks' filesystem
  uint64_t fs_total_bytes = 0;
};

// Walks the shard directories (a stat per block), so it costs O(blocks); references are
// counted by the database.
Result<RepoStat> repo_stat(const Blockstore& blocks, const PinStore& pins);

}  // namespace agora::store
