// Streaming UnixFS file import: fixed-size chunks, balanced layout, exactly as
// ipfs-unixfs-importer 17 builds them (so CIDs match Helia and kubo for the same profile).
//
// Memory is bounded by about two chunks plus links_per_node_max links per tree level: leaves are
// written as chunks fill and interior nodes as soon as they have all their children. Raw leaves
// go to BlockSink::put_leaf with their offset in the file, in file order.
#pragma once

#include <vector>

#include "unixfs/block_sink.h"
#include "unixfs/import_types.h"
#include "unixfs/profile.h"

namespace agora::unixfs {

class FileImporter {
 public:
  // An invalid profile makes every call fail with its validation error.
  FileImporter(const Profile& profile, BlockSink& sink, FileMeta meta = {});

  Status write(BytesView data);
  // The file's root. Once only; after an error every call returns that error.
  Result<ImportedNode> finish();

  uint64_t bytes_written() const { return bytes_written_; }

 private:
  struct Child {
    Cid cid;
    uint64_t tsize;
    uint64_t file_bytes;
  };

  Status complete_chunk(Bytes chunk);
  Result<Child> write_leaf(Bytes chunk);
  Result<Child> write_single_with_meta(Bytes chunk);
  Status push(size_t level, Child child);
  Result<Child> write_parent(std::vector<Child>& children);
  Result<ImportedNode> finish_tree();
  Status fail(Error e);

  Profile profile_;
  BlockSink& sink_;
  FileMeta meta_;
  Status status_;
  bool finished_ = false;
  uint64_t bytes_written_ = 0;
  Bytes chunk_;  // the chunk being filled, always shorter than chunk_bytes
  // The first full chunk waits here until we know whether it is the only one: a single chunk
  // becomes the file's root itself (js reduceSingleLeafToSelf).
  std::optional<Bytes> first_chunk_;
  uint64_t chunks_ = 0;
  uint64_t leaf_offset_ = 0;                // file offset of the next leaf written
  std::vector<std::vector<Child>> levels_;  // level 0 holds leaves not yet under a parent
  std::vector<uint64_t> level_nodes_;       // nodes ever made at each level
};

}  // namespace agora::unixfs
