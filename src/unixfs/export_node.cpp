#include "unixfs/export_node.h"

#include "unixfs/profile.h"

namespace agora::unixfs {

namespace {

Result<Bytes> fetch_block(BlockSource& source, const Cid& cid, const ExportLimits& limits) {
  const Multihash& mh = cid.hash();
  // Identity CIDs carry their block inline; no store needs to hold them.
  if (mh.code == kMhIdentity) return mh.digest;
  if (mh.code != kMhSha2_256)
    return node_error(Errc::unsupported, cid,
                      "multihash " + std::to_string(mh.code) + " is not supported");
  AGORA_ASSIGN(Bytes block, source.get(cid));
  if (block.size() > limits.dag_pb.block_bytes_max)
    return node_error(Errc::too_large, cid, "block of " + std::to_string(block.size()) + " bytes");
  if (!cid.matches(block)) return node_error(Errc::invalid_input, cid, "block does not match CID");
  return block;
}

Status check_file(LoadedNode& node, const ExportLimits& limits) {
  const UnixfsData& d = node.unixfs;
  if (node.pb.links.size() > limits.file_links_max)
    return node_error(Errc::too_large, node.cid,
                      "file node with " + std::to_string(node.pb.links.size()) + " links");
  if (d.blocksizes.size() != node.pb.links.size())
    return node_error(Errc::invalid_input, node.cid,
                      std::to_string(d.blocksizes.size()) + " blocksizes for " +
                          std::to_string(node.pb.links.size()) + " links");
  auto total = unixfs_file_bytes(d);
  if (!total) return node_error(Errc::invalid_input, node.cid, "file size overflows");
  if (d.filesize && *d.filesize != *total)
    return node_error(Errc::invalid_input, node.cid,
                      "filesize " + std::to_string(*d.filesize) +
                          " but data and blocksizes add "
                          "up to " +
                          std::to_string(*total));
  node.file_bytes = *total;
  return {};
}

Status check_hamt(const LoadedNode& node) {
  const UnixfsData& d = node.unixfs;
  if (d.hash_type != kUnixfsHamtHashMurmur3)
    return node_error(Errc::unsupported, node.cid, "HAMT hash type is not murmur3-x64-64");
  uint64_t fanout = d.fanout.value_or(0);
  if (fanout < 2 || fanout > kHamtFanoutMax || (fanout & (fanout - 1)) != 0)
    return node_error(Errc::invalid_input, node.cid,
                      "HAMT fanout " + std::to_string(fanout) + " is not a power of two in [2, " +
                          std::to_string(kHamtFanoutMax) + "]");
  if (d.data.size() > (fanout + 7) / 8)
    return node_error(Errc::invalid_input, node.cid, "HAMT bitfield longer than the fanout");
  return {};
}

Status classify(LoadedNode& node, const ExportLimits& limits) {
  switch (node.unixfs.type) {
    case UnixfsType::file:
    case UnixfsType::raw:
      node.type = NodeType::file;
      return check_file(node, limits);
    case UnixfsType::directory:
      node.type = NodeType::directory;
      return {};
    case UnixfsType::hamt_shard:
      node.type = NodeType::directory;
      node.sharded = true;
      return check_hamt(node);
    case UnixfsType::symlink:
      node.type = NodeType::symlink;
      if (!node.pb.links.empty())
        return node_error(Errc::invalid_input, node.cid, "symlink with links");
      return {};
    case UnixfsType::metadata:
      break;
  }
  return node_error(Errc::unsupported, node.cid,
                    std::string("UnixFS ") + unixfs_type_name(node.unixfs.type) + " node");
}

}  // namespace

Error node_error(Errc code, const Cid& cid, const std::string& what) {
  return make_error(code, cid.to_string() + ": " + what);
}

Result<LoadedNode> load_node(BlockSource& source, const Cid& cid, const ExportLimits& limits) {
  if (cid.codec() != kCodecRaw && cid.codec() != kCodecDagPb)
    return node_error(Errc::unsupported, cid,
                      std::string("codec ") + codec_name(cid.codec()) + " is not UnixFS");
  AGORA_ASSIGN(Bytes block, fetch_block(source, cid, limits));
  LoadedNode node;
  node.cid = cid;
  node.block_bytes = block.size();
  if (cid.codec() == kCodecRaw) {
    node.type = NodeType::raw;
    node.file_bytes = block.size();
    node.unixfs.type = UnixfsType::raw;
    node.unixfs.data = std::move(block);
    return node;
  }
  auto pb = decode_dag_pb(block, limits.dag_pb);
  if (!pb.ok()) return node_error(pb.error().code, cid, pb.error().message);
  node.pb = std::move(pb).value();
  if (!node.pb.data) return node_error(Errc::invalid_input, cid, "dag-pb node without UnixFS Data");
  auto data = decode_unixfs_data(*node.pb.data);
  if (!data.ok()) return node_error(data.error().code, cid, data.error().message);
  node.unixfs = std::move(data).value();
  node.pb.data.reset();  // decoded; do not hold the bytes twice
  AGORA_TRY(classify(node, limits));
  return node;
}

}  // namespace agora::unixfs
