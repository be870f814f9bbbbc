// Encodes one UnixFS dag-pb node, names it and hands it to a sink.
#pragma once

#include <vector>

#include "codec/dag_pb.h"
#include "codec/unixfs_pb.h"
#include "unixfs/block_sink.h"

namespace agora::unixfs {

struct WrittenBlock {
  Cid cid;
  size_t block_bytes;
};

// Links are written in the order given. `cid_version` 0 or 1 (dag-pb codec either way).
Result<WrittenBlock> write_unixfs_node(BlockSink& sink, int cid_version, const UnixfsData& data,
                                       std::vector<PbLink> links);

}  // namespace agora::unixfs
