#include "proto/xfer/layout.h"

#include <gtest/gtest.h>

#include "unixfs/profile.h"
#include "unixfs/test_util.h"

namespace agora::xfer {
namespace {

using unixfs::testing::import_bytes;
using unixfs::testing::random_bytes;

unixfs::Profile tiny_profile(bool raw_leaves) {
  unixfs::Profile p = unixfs::profile_unixfs_v1_2025();
  p.chunk_bytes = 1000;
  p.links_per_node_max = 3;  // deep trees from small files
  p.raw_leaves = raw_leaves;
  p.cid_version = raw_leaves ? 1 : 0;
  return p;
}

// The file's bytes as the layout's leaves and inline data place them.
Bytes assemble(const FileLayout& layout, MemoryBlocks& blocks) {
  Bytes file(layout.file_bytes);
  for (const LeafSpan& leaf : layout.leaves) {
    Bytes block = *blocks.get(leaf.cid);
    BytesView data = block;
    Bytes pb_data;
    if (leaf.cid.codec() == kCodecDagPb) {
      pb_data = decode_unixfs_data(*decode_dag_pb(block)->data)->data;
      data = pb_data;
    }
    EXPECT_EQ(data.size(), leaf.size);
    std::copy(data.begin(), data.end(), file.begin() + leaf.offset);
  }
  for (const InlineData& d : layout.inline_data)
    std::copy(d.data.begin(), d.data.end(), file.begin() + d.offset);
  return file;
}

// What a downloader makes of the server's NODE frames and SKELETON_END.
Result<FileLayout> read_skeleton(const FileLayout& served) {
  SkeletonReader reader(served.root, {});
  for (const SkeletonNode& n : served.nodes) AGORA_TRY(reader.on_node(n.block));
  return reader.finish(served.end());
}

class LayoutProfiles : public ::testing::TestWithParam<bool> {};

TEST_P(LayoutProfiles, BothSidesDeriveTheSameLeavesAndTheyRebuildTheFile) {
  for (size_t size :
       {size_t(0), size_t(1), size_t(999), size_t(1000), size_t(27001), size_t(100000)}) {
    MemoryBlocks blocks;
    Bytes content = random_bytes(size, size);
    auto root = import_bytes(content, tiny_profile(GetParam()), blocks);
    ASSERT_TRUE(root);
    auto served = build_layout(blocks, root->cid, {});
    ASSERT_TRUE(served) << served.error().message;
    EXPECT_EQ(served->file_bytes, size);
    EXPECT_EQ(assemble(*served, blocks), content) << size;
    auto read = read_skeleton(*served);
    ASSERT_TRUE(read) << read.error().message;
    ASSERT_EQ(read->leaves.size(), served->leaves.size());
    for (size_t i = 0; i < read->leaves.size(); ++i) {
      EXPECT_EQ(read->leaves[i].cid, served->leaves[i].cid);
      EXPECT_EQ(read->leaves[i].offset, served->leaves[i].offset);
      EXPECT_EQ(read->leaves[i].size, served->leaves[i].size);
    }
    EXPECT_EQ(read->nodes.size(), served->nodes.size());
  }
}

INSTANTIATE_TEST_SUITE_P(RawAndDagPbLeaves, LayoutProfiles, ::testing::Values(true, false));

TEST(XferLayout, RepeatedSubtreesGiveEveryLeafItsOffset) {
  MemoryBlocks blocks;
  Bytes content(50000, 0);  // every chunk alike: one leaf CID, repeated interior nodes
  auto root = import_bytes(content, tiny_profile(true), blocks);
  ASSERT_TRUE(root);
  auto served = build_layout(blocks, root->cid, {});
  ASSERT_TRUE(served);
  EXPECT_EQ(served->leaves.size(), 50u);
  EXPECT_LT(served->nodes.size(), 10u);  // distinct nodes only
  EXPECT_EQ(assemble(*served, blocks), content);
  EXPECT_TRUE(read_skeleton(*served));
}

TEST(XferLayout, ARawRootIsItsOwnLeaf) {
  MemoryBlocks blocks;
  Bytes data = random_bytes(500, 1);
  Cid root = Cid::of(data);
  ASSERT_TRUE(blocks.put(root, data));
  auto served = build_layout(blocks, root, {});
  ASSERT_TRUE(served);
  ASSERT_EQ(served->leaves.size(), 1u);
  EXPECT_EQ(served->file_bytes, 500u);
  EXPECT_TRUE(served->nodes.empty());
  auto read = read_skeleton(*served);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->leaves[0].size, 500u);
}

TEST(XferLayout, ADirectoryIsNotAFile) {
  MemoryBlocks blocks;
  PbNode dir;
  dir.data = encode_unixfs_data(UnixfsData{.type = UnixfsType::directory});
  Bytes block = encode_dag_pb(dir);
  Cid root = Cid::v1(kCodecDagPb, multihash_sha2_256(block));
  ASSERT_TRUE(blocks.put(root, block));
  EXPECT_EQ(build_layout(blocks, root, {}).error().code, Errc::unsupported);
  SkeletonReader reader(root, {});
  EXPECT_FALSE(reader.on_node(block));
}

TEST(XferLayout, NodesOutOfOrderOrForeignAreProtocolErrors) {
  MemoryBlocks blocks;
  auto root = import_bytes(random_bytes(27001, 3), tiny_profile(true), blocks);
  ASSERT_TRUE(root);
  auto served = build_layout(blocks, root->cid, {});
  ASSERT_TRUE(served);
  ASSERT_GE(served->nodes.size(), 3u);
  {  // the second node first: the root must come first
    SkeletonReader reader(served->root, {});
    EXPECT_EQ(reader.on_node(served->nodes[1].block).error().code, Errc::protocol);
  }
  {  // two nodes swapped: the first is taken for a leaf's sibling, then nothing matches
    SkeletonReader reader(served->root, {});
    ASSERT_TRUE(reader.on_node(served->nodes[0].block));
    Status a = reader.on_node(served->nodes[2].block);
    Status b = a ? reader.on_node(served->nodes[1].block) : a;
    EXPECT_FALSE(b);
  }
  {  // a node left out makes the counts disagree
    SkeletonReader reader(served->root, {});
    for (size_t i = 0; i + 1 < served->nodes.size(); ++i)
      ASSERT_TRUE(reader.on_node(served->nodes[i].block));
    EXPECT_EQ(reader.finish(served->end()).error().code, Errc::protocol);
  }
  {  // a lying SKELETON_END
    SkeletonReader reader(served->root, {});
    for (const SkeletonNode& n : served->nodes) ASSERT_TRUE(reader.on_node(n.block));
    SkeletonEnd end = served->end();
    end.file_bytes += 1;
    EXPECT_EQ(reader.finish(end).error().code, Errc::protocol);
  }
}

TEST(XferLayout, LimitsAreEnforcedOnBothSides) {
  MemoryBlocks blocks;
  auto root = import_bytes(random_bytes(100000, 4), tiny_profile(true), blocks);
  ASSERT_TRUE(root);
  XferLimits small;
  small.leaves_max = 50;
  EXPECT_EQ(build_layout(blocks, root->cid, small).error().code, Errc::too_large);
  small = {};
  small.skeleton_depth_max = 2;
  EXPECT_EQ(build_layout(blocks, root->cid, small).error().code, Errc::too_large);
  auto served = build_layout(blocks, root->cid, {});
  ASSERT_TRUE(served);
  small = {};
  small.skeleton_nodes_max = 3;
  SkeletonReader reader(served->root, small);
  Status st;
  for (const SkeletonNode& n : served->nodes) {
    st = reader.on_node(n.block);
    if (!st) break;
  }
  EXPECT_FALSE(st);
}

TEST(XferLayout, AMissingBlockIsNotFound) {
  MemoryBlocks blocks;
  auto root = import_bytes(random_bytes(5000, 5), tiny_profile(false), blocks);
  ASSERT_TRUE(root);
  MemoryBlocks only_root;
  ASSERT_TRUE(only_root.put(root->cid, *blocks.get(root->cid)));
  EXPECT_EQ(build_layout(only_root, root->cid, {}).error().code, Errc::not_found);
}

}  // namespace
}  // namespace agora::xfer
