#include "unixfs/directory_builder.h"

#include <gtest/gtest.h>

#include "codec/dag_pb.h"
#include "codec/murmur3.h"
#include "unixfs/exporter.h"
#include "unixfs/test_util.h"

namespace agora::unixfs {
namespace {

ImportedNode file_node(std::string_view content, MemoryBlocks& blocks) {
  return *testing::import_bytes(as_bytes(content), profile_unixfs_v1_2025(), blocks);
}

TEST(DirectoryBuilder, SortsLinksByNameBytesAndSumsSizes) {
  MemoryBlocks blocks;
  DirectoryBuilder dir(profile_unixfs_v1_2025());
  for (std::string name : {"b", "\xc3\xa4", "aa", "B", "a"})
    ASSERT_TRUE(dir.add(name, file_node(name, blocks), EntryKind::file).ok());
  auto root = dir.finish(blocks);
  ASSERT_TRUE(root.ok());
  auto node = decode_dag_pb(*blocks.get(root->cid));
  ASSERT_TRUE(node.ok());
  std::vector<std::string> names;
  for (auto& l : node->links) names.push_back(*l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"B", "a", "aa", "b", "\xc3\xa4"}));
  EXPECT_EQ(to_hex(*node->data), "0801");  // Directory, no filesize, default mode omitted
  EXPECT_EQ(root->size, 1u + 2 + 2 + 1 + 1);
  EXPECT_EQ(root->tsize, blocks.total_bytes());
  // An empty directory: the well-known CID.
  DirectoryBuilder empty(profile_unixfs_v0_2015());
  EXPECT_EQ(empty.finish(blocks)->cid.to_string(),
            "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");
}

TEST(DirectoryBuilder, RefusesBadAndRepeatedNames) {
  MemoryBlocks blocks;
  ImportedNode f = file_node("x", blocks);
  DirectoryBuilder dir(profile_unixfs_v1_2025());
  for (std::string bad : std::vector<std::string>{"", ".", "..", "a/b", std::string("a\0b", 3),
                                                  std::string("\xff"), std::string(256, 'n')})
    EXPECT_EQ(dir.add(bad, f, EntryKind::file).error().code, Errc::invalid_input) << bad;
  ASSERT_TRUE(dir.add("ok", f, EntryKind::file).ok());
  EXPECT_EQ(dir.add("ok", f, EntryKind::file).error().code, Errc::exists);
  ASSERT_TRUE(dir.finish(blocks).ok());
  EXPECT_FALSE(dir.finish(blocks).ok());
}

TEST(DirectoryBuilder, EstimatesLikeJs) {
  MemoryBlocks blocks;
  ImportedNode f = file_node("x", blocks);  // CIDv1 raw: 36 bytes, tsize 1
  DirectoryBuilder v1(profile_unixfs_v1_2025());
  EXPECT_EQ(v1.estimate_bytes(), 4u);  // the Data field of a plain directory
  ASSERT_TRUE(v1.add(std::string(86, 'a'), f, EntryKind::file).ok());
  EXPECT_EQ(v1.estimate_bytes(), 4u + 131);
  ASSERT_TRUE(v1.add("sub", f, EntryKind::directory).ok());  // not counted, as in js
  EXPECT_EQ(v1.estimate_bytes(), 4u + 131);
  ASSERT_TRUE(v1.add("empty", f, EntryKind::empty_directory).ok());
  EXPECT_GT(v1.estimate_bytes(), 4u + 131);

  DirectoryBuilder v0(profile_unixfs_v0_2015());
  ASSERT_TRUE(v0.add("name", f, EntryKind::symlink).ok());
  EXPECT_EQ(v0.estimate_bytes(), 4u + 36);
  // Metadata grows the block-bytes estimate by its encoded size.
  DirectoryBuilder meta(profile_unixfs_v1_2025(), FileMeta{.mode = 0700});
  EXPECT_EQ(meta.estimate_bytes(), 7u);
}

TEST(Hamt, HashBitsFollowMurmurH1ThenRehash) {
  uint64_t h1 = murmur3_x64_128(as_bytes("name")).h1;
  HamtHashBits bits("name");
  for (int i = 0; i < 8; ++i) EXPECT_EQ(bits.take(8), uint32_t(h1 >> (56 - 8 * i)) & 0xff);
  uint64_t next = murmur3_x64_128(as_bytes(std::string("name") + char(1))).h1;
  EXPECT_EQ(bits.take(4), uint32_t(next >> 60));
  HamtHashBits odd("name");
  EXPECT_EQ(odd.take(3), uint32_t(h1 >> 61));
  EXPECT_EQ(odd.take(10), uint32_t(h1 >> 51) & 0x3ff);
}

TEST(Hamt, PrefixesAndBitfields) {
  EXPECT_EQ(hamt_slot_prefix(0, 256), "00");
  EXPECT_EQ(hamt_slot_prefix(171, 256), "AB");
  EXPECT_EQ(hamt_slot_prefix(9, 16), "9");
  EXPECT_EQ(hamt_slot_prefix(1023, 1024), "3FF");
  EXPECT_EQ(hamt_bits_per_level(256), 8u);
  std::vector<bool> slots(256, false);
  slots[0] = true;
  EXPECT_EQ(to_hex(hamt_bitfield_bytes(slots)), "01");
  slots[9] = true;
  EXPECT_EQ(to_hex(hamt_bitfield_bytes(slots)), "0201");
  slots[255] = true;
  EXPECT_EQ(hamt_bitfield_bytes(slots).size(), 32u);
  EXPECT_EQ(hamt_bitfield_bytes(slots)[0], 0x80);
}

TEST(Hamt, ShardsPlaceEveryNameWhereItsHashSays) {
  MemoryBlocks blocks;
  std::vector<HamtEntry> entries;
  ImportedNode f = file_node("x", blocks);
  for (int i = 0; i < 2000; ++i) entries.push_back({"n" + std::to_string(i), f.cid, f.tsize, 1});
  auto root = write_hamt(entries, 256, 1, {}, blocks);
  ASSERT_TRUE(root.ok());
  auto node = decode_dag_pb(*blocks.get(root->cid));
  auto data = decode_unixfs_data(*node->data);
  EXPECT_EQ(data->type, UnixfsType::hamt_shard);
  EXPECT_EQ(data->fanout, 256u);
  EXPECT_EQ(data->hash_type, 0x22u);
  size_t subshards = 0;
  for (auto& l : node->links) {
    if (l.name->size() == 2) {
      ++subshards;
      continue;
    }
    HamtHashBits bits(l.name->substr(2));
    EXPECT_EQ(l.name->substr(0, 2), hamt_slot_prefix(bits.take(8), 256));
  }
  EXPECT_GT(subshards, 0u);  // 2000 names in 256 slots collide
  EXPECT_EQ(list_directory(blocks, root->cid)->size(), 2000u);
  EXPECT_EQ(root->size, 2000u);
}

TEST(Symlink, StoresTheTargetAsData) {
  MemoryBlocks blocks;
  auto link = write_symlink(profile_unixfs_v1_2025(), "../target", {}, blocks);
  ASSERT_TRUE(link.ok());
  // Block printed by ipfs-unixfs-importer 17 for {path: 's', link: '../target'}.
  EXPECT_EQ(link->cid.to_string(), "bafybeid2dyfo3dy5xjihqwfpf4m4x3ht53evimfbxdcmv57yr4z3xlplcm");
  EXPECT_EQ(to_hex(*blocks.get(link->cid)), "0a0d080412092e2e2f746172676574");
}

TEST(Profile, ByNameAndValidation) {
  EXPECT_EQ(profile_by_name("unixfs-v1-2025")->chunk_bytes, 1048576u);
  EXPECT_EQ(profile_by_name("unixfs-v0-2015")->links_per_node_max, 174u);
  auto bad = profile_by_name("v2");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unixfs-v1-2025"), std::string::npos);
  EXPECT_NE(bad.error().message.find("unixfs-v0-2015"), std::string::npos);
  EXPECT_TRUE(validate_profile(profile_unixfs_v1_2025()).ok());
  Profile p = profile_unixfs_v1_2025();
  p.hamt_fanout = 100;
  EXPECT_FALSE(validate_profile(p).ok());
  p = profile_unixfs_v1_2025();
  p.cid_version = 2;
  EXPECT_FALSE(validate_profile(p).ok());
  p = profile_unixfs_v1_2025();
  p.chunk_bytes = kChunkBytesMax + 1;
  EXPECT_FALSE(validate_profile(p).ok());
}

}  // namespace
}  // namespace agora::unixfs
