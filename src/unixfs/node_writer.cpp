#include "unixfs/node_writer.h"

namespace agora::unixfs {

Result<WrittenBlock> write_unixfs_node(BlockSink& sink, int cid_version, const UnixfsData& data,
                                       std::vector<PbLink> links) {
  PbNode node;
  node.links = std::move(links);
  node.data = encode_unixfs_data(data);
  Bytes block = encode_dag_pb(node);
  WrittenBlock out{Cid::of(block, kCodecDagPb, cid_version), block.size()};
  AGORA_TRY(sink.put(out.cid, std::move(block)));
  return out;
}

}  // namespace agora::unixfs
