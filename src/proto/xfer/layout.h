// A file's shape as xfer moves it (docs/xfer.md): its skeleton (the distinct interior nodes in
// depth-first pre-order) and its leaves in file order, each with the file bytes it covers.
//
// LayoutWalk is the walk both sides make. It asks about each dag-pb link it has not seen as an
// interior node before; the server answers from its blocks (build_layout), the downloader from
// the NODE frames it receives (SkeletonReader), so both derive the same leaf indices. Raw links
// are leaves without asking, and a repeated interior node is walked again from its stored bytes.
//
// Bounds (XferLimits): skeleton bytes, distinct nodes, depth, leaves, and the steps of the walk
// (repeated subtrees cannot make it run longer than leaves_max steps). Every node is decoded
// strictly (dag-pb, UnixFS) and must be a file whose blocksizes add up; a parent's blocksize for a
// child interior node must equal that node's own size.
#pragma once

#include <optional>
#include <unordered_map>
#include <vector>

#include "codec/cid.h"
#include "codec/dag_pb.h"
#include "codec/unixfs_pb.h"
#include "proto/xfer/frame.h"
#include "unixfs/block_sink.h"

namespace agora::xfer {

struct LeafSpan {
  Cid cid;
  uint64_t offset = 0;  // in the file
  uint64_t size = 0;    // file bytes it holds (a raw leaf: its length; dag-pb: its data)
};
struct InlineData {  // an interior node's own Data bytes, at their place in the file
  uint64_t offset = 0;
  Bytes data;
};
struct SkeletonNode {
  Cid cid;
  Bytes block;
};

struct FileLayout {
  Cid root;
  std::vector<SkeletonNode> nodes;  // pre-order, each distinct node once
  std::vector<LeafSpan> leaves;     // file order, repeats included
  std::vector<InlineData> inline_data;
  uint64_t file_bytes = 0;
  uint64_t skeleton_bytes = 0;
  SkeletonEnd end() const { return {nodes.size(), leaves.size(), file_bytes}; }
};

class LayoutWalk {
 public:
  LayoutWalk(Cid root, XferLimits limits);

  // The next link whose kind is unknown (a dag-pb link not seen as interior yet), or nullopt
  // when the walk is over. A raw root is the only leaf (its size is set by set_raw_root_size).
  Result<std::optional<Cid>> next_question();
  // The link asked about is an interior node: `block` (verified against it by the caller).
  // Errc::invalid_input when it is not a UnixFS file node or contradicts its parent.
  Status answer_interior(Bytes block);
  // The link asked about is a leaf. The root cannot be.
  Status answer_leaf();
  void set_raw_root_size(uint64_t bytes);
  bool done() const { return done_; }
  FileLayout take() { return std::move(layout_); }
  const FileLayout& layout() const { return layout_; }

 private:
  struct Level {
    size_t node = 0;  // index into layout_.nodes
    std::vector<PbLink> links;
    std::vector<uint64_t> sizes;  // blocksizes, one per link
    size_t next = 0;
    uint64_t offset = 0;  // where the node's next link starts in the file
  };
  Status push(size_t node, uint64_t offset, std::optional<uint64_t> expected_bytes);
  Status add_leaf(const Cid& cid, uint64_t size);
  Status count_step();

  XferLimits limits_;
  FileLayout layout_;
  std::vector<Level> stack_;
  std::unordered_map<Cid, size_t, CidHash> interior_;  // cid -> index into layout_.nodes
  std::optional<Cid> asked_;
  uint64_t asked_size_ = 0;  // the parent's blocksize for the link asked about
  bool started_ = false;
  bool done_ = false;
  uint64_t steps_ = 0;
};

// Server side: the layout of `root` from local blocks. Errc::not_found when a block is missing,
// Errc::unsupported when the root is not a file, Errc::too_large over a limit.
Result<FileLayout> build_layout(BlockSource& blocks, const Cid& root, const XferLimits& limits);

// Downloader side: verifies NODE frames as they arrive against the walk, then SKELETON_END.
class SkeletonReader {
 public:
  SkeletonReader(Cid root, XferLimits limits);
  // Errc::protocol when the block is no node the walk still expects.
  Status on_node(Bytes block);
  // The walk's remaining dag-pb links are leaves; the counts must agree with the server's.
  Result<FileLayout> finish(const SkeletonEnd& end);

 private:
  Cid root_;
  XferLimits limits_;
  LayoutWalk walk_;
};

}  // namespace agora::xfer
