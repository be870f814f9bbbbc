// What importing produces and the optional metadata it records.
#pragma once

#include <cstdint>
#include <optional>

#include "codec/cid.h"
#include "codec/unixfs_pb.h"

namespace agora::unixfs {

// Unix metadata stored in a node. js semantics: giving either one makes a single-chunk file a
// dag-pb node (a raw block has nowhere to keep it); a mode equal to the type's default (0644, 0755)
// is then still omitted from the bytes.
struct FileMeta {
  std::optional<uint32_t> mode;  // permission bits (07777)
  std::optional<UnixTime> mtime;
  bool empty() const { return !mode && !mtime; }
};

struct ImportedNode {
  Cid cid;
  uint64_t tsize = 0;  // cumulative bytes of all blocks in the DAG, as dag-pb Tsize expects
  uint64_t size = 0;   // file bytes (for a directory: of all files below it)
};

}  // namespace agora::unixfs
