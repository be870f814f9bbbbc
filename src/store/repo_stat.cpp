#include "store/repo_stat.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

namespace agora::store {

Result<RepoStat> repo_stat(const Blockstore& blocks, const PinStore& pins) {
  RepoStat stat;
  stat.blocks_dir = blocks.dir();
  stat.db_path = pins.path();
  AGORA_TRY(blocks.for_each_file([&](const BlockFileEntry& entry) -> Status {
    if (!entry.hash) return {};
    ++stat.blocks;
    stat.block_bytes += entry.size_bytes;
    stat.block_disk_bytes += entry.disk_bytes;
    return {};
  }));
  if (FileRefs* refs = blocks.file_refs()) {
    AGORA_ASSIGN(FileRefTotals totals, refs->totals());
    stat.referenced_blocks = totals.refs;
    stat.referenced_bytes = totals.bytes;
  }
  AGORA_ASSIGN(stat.pins, pins.counts());
  struct statvfs fs {};
  if (::statvfs(blocks.dir().c_str(), &fs) != 0)
    return make_error(Errc::io, blocks.dir().string() + ": statvfs: " + std::strerror(errno));
  stat.fs_free_bytes = uint64_t(fs.f_bavail) * fs.f_frsize;
  stat.fs_total_bytes = uint64_t(fs.f_blocks) * fs.f_frsize;
  return stat;
}

}  // namespace agora::store
