// Internal to the exporter: fetching one block, checking it against its CID and decoding it as a
// UnixFS node whose structure is consistent on its own.
#pragma once

#include "unixfs/exporter.h"

namespace agora::unixfs {

struct LoadedNode {
  Cid cid;
  NodeType type = NodeType::raw;
  bool sharded = false;
  size_t block_bytes = 0;
  PbNode pb;                // empty for raw blocks
  UnixfsData unixfs;        // for raw blocks: type raw, data = the block
  uint64_t file_bytes = 0;  // content bytes of a file or raw block
};

// Errc::unsupported for codecs other than raw and dag-pb, hashes other than sha2-256 and identity,
// UnixFS Metadata nodes and HAMTs with another hash; Errc::invalid_input when the block does not
// match its CID or the node contradicts itself; Errc::too_large over a limit.
Result<LoadedNode> load_node(BlockSource& source, const Cid& cid, const ExportLimits& limits);

// For error messages: "<cid>: <what>".
Error node_error(Errc code, const Cid& cid, const std::string& what);

}  // namespace agora::unixfs

namespace agora::unixfs {

// Entries of a loaded directory node (walking sub-shards of a HAMT), names checked, no
// duplicates. `entries_left` is decremented per entry; Errc::too_large when it runs out.
Result<std::vector<DirEntry>> directory_entries(BlockSource& source, const LoadedNode& dir,
                                                const ExportLimits& limits, size_t& entries_left);

}  // namespace agora::unixfs

namespace agora::unixfs {

// read_file on a node already loaded.
Status read_loaded_file(BlockSource& source, const LoadedNode& root,
                        std::function<Status(BytesView)>& out, uint64_t offset,
                        std::optional<uint64_t> length, const ExportLimits& limits);

}  // namespace agora::unixfs
