#include "proto/xfer/layout.h"

#include "crypto/sha256.h"

namespace agora::xfer {

namespace {

Error too_large(const std::string& what, uint64_t limit) {
  return make_error(Errc::too_large, what + " (limit " + std::to_string(limit) + ")");
}

// Whether `block` is the block `cid` names, hashing it at most once per call site's digest.
bool block_matches(const Cid& cid, BytesView block, const crypto::Sha256Digest& digest) {
  const Multihash& mh = cid.hash();
  if (mh.code == kMhSha2_256)
    return mh.digest.size() == digest.size() &&
           std::equal(digest.begin(), digest.end(), mh.digest.begin());
  return cid.matches(block);
}

}  // namespace

LayoutWalk::LayoutWalk(Cid root, XferLimits limits) : limits_(limits) {
  layout_.root = std::move(root);
}

Status LayoutWalk::count_step() {
  if (++steps_ > 2 * limits_.leaves_max)
    return too_large("walk of the file's links", 2 * limits_.leaves_max);
  return {};
}

Status LayoutWalk::add_leaf(const Cid& cid, uint64_t size) {
  if (layout_.leaves.size() >= limits_.leaves_max) return too_large("leaves", limits_.leaves_max);
  uint64_t offset = stack_.empty() ? 0 : stack_.back().offset;
  layout_.leaves.push_back({cid, offset, size});
  return {};
}

Status LayoutWalk::push(size_t node, uint64_t offset, std::optional<uint64_t> expected_bytes) {
  const SkeletonNode& n = layout_.nodes[node];
  if (stack_.size() >= limits_.skeleton_depth_max)
    return too_large("skeleton depth", limits_.skeleton_depth_max);
  auto what = [&n](const std::string& s) { return n.cid.to_string() + ": " + s; };
  AGORA_ASSIGN(PbNode pb, decode_dag_pb(n.block));
  if (!pb.data) return make_error(Errc::invalid_input, what("no UnixFS data"));
  AGORA_ASSIGN(UnixfsData fs, decode_unixfs_data(*pb.data));
  if (fs.type != UnixfsType::file && fs.type != UnixfsType::raw)
    return make_error(Errc::unsupported,
                      what(std::string("a ") + unixfs_type_name(fs.type) + ", not a file"));
  if (!pb.links.empty() && fs.blocksizes.size() != pb.links.size())
    return make_error(Errc::invalid_input, what("blocksizes do not match its links"));
  auto node_bytes = unixfs_file_bytes(fs);
  if (!node_bytes) return make_error(Errc::invalid_input, what("file size overflows"));
  if (expected_bytes && *expected_bytes != *node_bytes)
    return make_error(Errc::invalid_input,
                      what("holds " + std::to_string(*node_bytes) + " bytes; its parent says " +
                           std::to_string(*expected_bytes)));
  if (stack_.empty()) layout_.file_bytes = *node_bytes;
  if (!fs.data.empty()) {
    layout_.inline_data.push_back({offset, std::move(fs.data)});
    offset += layout_.inline_data.back().data.size();
  }
  stack_.push_back(Level{node, std::move(pb.links), std::move(fs.blocksizes), 0, offset});
  return {};
}

Result<std::optional<Cid>> LayoutWalk::next_question() {
  if (done_) return std::optional<Cid>();
  if (asked_) return asked_;
  if (!started_) {
    started_ = true;
    if (layout_.root.codec() == kCodecRaw) {
      AGORA_TRY(add_leaf(layout_.root, 0));
      done_ = true;
      return std::optional<Cid>();
    }
    if (layout_.root.codec() != kCodecDagPb)
      return make_error(Errc::unsupported,
                        "not a UnixFS file: codec " + std::to_string(layout_.root.codec()));
    asked_ = layout_.root;
    return asked_;
  }
  while (!stack_.empty()) {
    Level& top = stack_.back();
    if (top.next == top.links.size()) {
      stack_.pop_back();
      continue;
    }
    AGORA_TRY(count_step());
    const Cid& link = top.links[top.next].hash;
    uint64_t size = top.sizes[top.next];
    if (link.codec() == kCodecRaw) {
      AGORA_TRY(add_leaf(link, size));
      top.offset += size;
      ++top.next;
      continue;
    }
    if (link.codec() != kCodecDagPb)
      return make_error(Errc::unsupported, link.to_string() + ": a link of an unsupported codec");
    if (auto seen = interior_.find(link); seen != interior_.end()) {
      uint64_t offset = top.offset;
      top.offset += size;
      ++top.next;
      AGORA_TRY(push(seen->second, offset, size));  // invalidates `top`
      continue;
    }
    asked_ = link;
    asked_size_ = size;
    return asked_;
  }
  done_ = true;
  return std::optional<Cid>();
}

Status LayoutWalk::answer_interior(Bytes block) {
  if (!asked_) return make_error(Errc::internal, "no question to answer");
  if (layout_.nodes.size() >= limits_.skeleton_nodes_max)
    return too_large("skeleton nodes", limits_.skeleton_nodes_max);
  if (layout_.skeleton_bytes + block.size() > limits_.skeleton_bytes_max)
    return too_large("skeleton bytes", limits_.skeleton_bytes_max);
  layout_.skeleton_bytes += block.size();
  size_t index = layout_.nodes.size();
  layout_.nodes.push_back({*asked_, std::move(block)});
  interior_.emplace(*asked_, index);
  asked_.reset();
  if (stack_.empty()) return push(index, 0, std::nullopt);  // the root
  Level& top = stack_.back();
  uint64_t offset = top.offset;
  top.offset += asked_size_;
  ++top.next;
  return push(index, offset, asked_size_);
}

Status LayoutWalk::answer_leaf() {
  if (!asked_) return make_error(Errc::internal, "no question to answer");
  if (stack_.empty()) return make_error(Errc::invalid_input, "the root must be a node");
  asked_.reset();
  Level& top = stack_.back();
  AGORA_TRY(add_leaf(top.links[top.next].hash, asked_size_));
  top.offset += asked_size_;
  ++top.next;
  return {};
}

void LayoutWalk::set_raw_root_size(uint64_t bytes) {
  if (layout_.root.codec() != kCodecRaw || layout_.leaves.size() != 1) return;
  layout_.leaves[0].size = bytes;
  layout_.file_bytes = bytes;
}

Result<FileLayout> build_layout(BlockSource& blocks, const Cid& root, const XferLimits& limits) {
  LayoutWalk walk(root, limits);
  while (true) {
    AGORA_ASSIGN(std::optional<Cid> question, walk.next_question());
    if (!question) break;
    AGORA_ASSIGN(Bytes block, blocks.get(*question));
    if (!question->matches(block))
      return make_error(Errc::invalid_input, question->to_string() + ": stored block is corrupt");
    bool interior = *question == root;
    if (!interior) {
      PbLinkCursor links(block);
      AGORA_ASSIGN(std::optional<Cid> first, links.next());
      interior = first.has_value();
    }
    if (interior) {
      AGORA_TRY(walk.answer_interior(std::move(block)));
    } else {
      AGORA_TRY(walk.answer_leaf());
    }
  }
  if (root.codec() == kCodecRaw) {
    AGORA_ASSIGN(Bytes block, blocks.get(root));
    if (block.size() > limits.block_bytes_max)
      return too_large("block bytes", limits.block_bytes_max);
    walk.set_raw_root_size(block.size());
  }
  return walk.take();
}

SkeletonReader::SkeletonReader(Cid root, XferLimits limits)
    : root_(root), limits_(limits), walk_(std::move(root), limits) {}

Status SkeletonReader::on_node(Bytes block) {
  crypto::Sha256Digest digest = crypto::sha256(block);
  while (true) {
    auto question = walk_.next_question();
    if (!question) return make_error(Errc::protocol, question.error().message);
    if (!*question) return make_error(Errc::protocol, "a NODE after the skeleton's last node");
    if (block_matches(**question, block, digest)) {
      if (Status st = walk_.answer_interior(std::move(block)); !st)
        return make_error(Errc::protocol, st.error().message);
      return {};
    }
    if (**question == root_)
      return make_error(Errc::protocol, "the first NODE is not the root " + root_.to_string());
    AGORA_TRY(walk_.answer_leaf());
  }
}

Result<FileLayout> SkeletonReader::finish(const SkeletonEnd& end) {
  while (true) {
    auto question = walk_.next_question();
    if (!question) return make_error(Errc::protocol, question.error().message);
    if (!*question) break;
    if (**question == root_) return make_error(Errc::protocol, "no NODE for the root");
    AGORA_TRY(walk_.answer_leaf());
  }
  if (root_.codec() == kCodecRaw) {
    if (end.file_bytes > limits_.block_bytes_max)
      return make_error(Errc::protocol,
                        "a raw root of " + std::to_string(end.file_bytes) + " bytes");
    walk_.set_raw_root_size(end.file_bytes);
  }
  SkeletonEnd ours = walk_.layout().end();
  if (ours != end)
    return make_error(Errc::protocol, "SKELETON_END says " + std::to_string(end.nodes) +
                                          " nodes, " + std::to_string(end.leaves) + " leaves, " +
                                          std::to_string(end.file_bytes) +
                                          " bytes; the nodes give " + std::to_string(ours.nodes) +
                                          ", " + std::to_string(ours.leaves) + ", " +
                                          std::to_string(ours.file_bytes));
  return walk_.take();
}

}  // namespace agora::xfer
