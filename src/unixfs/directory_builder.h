// Builds one UnixFS directory from its entries: a plain Directory node, or a HAMT sharded
// directory once js-ipfs-unixfs-importer 17 would shard it (estimate above the profile's
// threshold, estimated the profile's way). Links are sorted by name bytes, as @ipld/dag-pb does.
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "unixfs/block_sink.h"
#include "unixfs/hamt.h"
#include "unixfs/import_types.h"
#include "unixfs/profile.h"

namespace agora::unixfs {

// js decides to shard while the tree is still being built, when a non-empty subdirectory has no
// CID yet: such a subdirectory adds nothing to its parent's size estimate. Files, symlinks and
// empty directories count fully.
enum class EntryKind { file, symlink, empty_directory, directory };

// Keeps the whole listing in memory, as any directory writer must.
inline constexpr size_t kDirectoryEntriesMax = 1 << 22;

class DirectoryBuilder {
 public:
  // An invalid profile makes add() and finish() fail with its validation error.
  DirectoryBuilder(const Profile& profile, FileMeta meta = {});

  // Errc::invalid_input for a name check_entry_name rejects or that is not UTF-8, Errc::exists
  // for a repeated name, Errc::too_large past kDirectoryEntriesMax.
  Status add(std::string name, const ImportedNode& child, EntryKind kind);

  size_t entries() const { return entries_.size(); }
  // The js size estimate so far, and whether it already passed the threshold.
  uint64_t estimate_bytes() const { return estimate_bytes_; }
  bool sharded() const { return estimate_bytes_ > profile_.hamt_threshold_bytes; }

  // Writes the directory's blocks. Once only.
  Result<ImportedNode> finish(BlockSink& sink);

 private:
  Result<ImportedNode> write_flat(BlockSink& sink);

  Profile profile_;
  FileMeta meta_;
  Status status_;
  std::vector<HamtEntry> entries_;
  std::unordered_set<std::string> names_;
  uint64_t estimate_bytes_ = 0;
  bool finished_ = false;
};

// A symlink node (Data{Type=Symlink, Data=target}); its mode defaults to 0644 like a file's.
Result<ImportedNode> write_symlink(const Profile& profile, std::string_view target,
                                   const FileMeta& meta, BlockSink& sink);

}  // namespace agora::unixfs
