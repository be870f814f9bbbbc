#include "unixfs/exporter.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unixfs/directory_builder.h"
#include "unixfs/import_path.h"
#include "unixfs/test_util.h"

namespace agora::unixfs {
namespace {

using testing::import_bytes;
using testing::put_node;
using testing::random_bytes;
using testing::read_all;
using testing::TempDir;

Profile small_profile(bool raw_leaves) {
  Profile p = raw_leaves ? profile_unixfs_v1_2025() : profile_unixfs_v0_2015();
  p.chunk_bytes = 64;
  p.links_per_node_max = 4;
  return p;
}

Cid put_raw(MemoryBlocks& blocks, std::string_view content) {
  Cid cid = Cid::of(as_bytes(content));
  EXPECT_TRUE(blocks.put(cid, to_bytes(content)).ok());
  return cid;
}

PbLink named(std::string name, const Cid& cid) { return PbLink{cid, std::move(name), 1}; }

TEST(Exporter, FileRoundTripsAtChunkBoundaries) {
  for (bool raw : {true, false}) {
    Profile p = small_profile(raw);
    // 64*4*4 = 1024 bytes fill two levels exactly; past that a third level appears.
    for (size_t n : {0u, 1u, 63u, 64u, 65u, 255u, 256u, 257u, 1024u, 1025u, 5000u}) {
      for (bool with_meta : {false, true}) {
        MemoryBlocks blocks;
        Bytes data = random_bytes(n, n * 2 + raw);
        FileMeta meta;
        if (with_meta) meta = FileMeta{.mode = 0600, .mtime = UnixTime{42, 7}};
        auto imported = import_bytes(data, p, blocks, meta, 50);
        ASSERT_TRUE(imported.ok());
        auto back = read_all(blocks, imported->cid);
        ASSERT_TRUE(back.ok()) << back.error().to_string();
        EXPECT_EQ(*back, data) << n << (raw ? " raw" : " pb");
        auto st = stat(blocks, imported->cid);
        ASSERT_TRUE(st.ok());
        EXPECT_EQ(st->size, n);
        EXPECT_EQ(st->dag_bytes, imported->tsize);
        if (with_meta) {
          EXPECT_EQ(st->type, NodeType::file);
          EXPECT_EQ(st->mode, 0600u);
          EXPECT_EQ(st->mtime, (UnixTime{42, 7}));
        }
      }
    }
  }
}

TEST(Exporter, ReadsAnyRange) {
  MemoryBlocks blocks;
  Bytes data = random_bytes(3000, 9);
  auto imported = import_bytes(data, small_profile(false), blocks);
  ASSERT_TRUE(imported.ok());
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) {
    uint64_t offset = rng() % 3001;
    uint64_t length = rng() % 700;
    auto part = read_all(blocks, imported->cid, offset, length);
    ASSERT_TRUE(part.ok());
    uint64_t end = std::min<uint64_t>(offset + length, data.size());
    EXPECT_EQ(*part, Bytes(data.begin() + offset, data.begin() + end)) << offset << "+" << length;
  }
  EXPECT_TRUE(read_all(blocks, imported->cid, 3000)->empty());
  EXPECT_EQ(read_all(blocks, imported->cid, 3001).error().code, Errc::invalid_input);
  EXPECT_EQ(*read_all(blocks, imported->cid, 2990, 1000), Bytes(data.end() - 10, data.end()));
}

TEST(Exporter, ReadingARangeFetchesOnlyItsBlocks) {
  MemoryBlocks all;
  Bytes data = random_bytes(64 * 100, 10);
  auto imported = import_bytes(data, small_profile(true), all);
  ASSERT_TRUE(imported.ok());
  class CountingSource : public BlockSource {
   public:
    explicit CountingSource(MemoryBlocks& inner) : inner_(inner) {}
    Result<Bytes> get(const Cid& cid) override {
      ++gets;
      return inner_.get(cid);
    }
    int gets = 0;

   private:
    MemoryBlocks& inner_;
  } counting(all);
  auto part = read_all(counting, imported->cid, 64 * 50 + 3, 10);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(*part, Bytes(data.begin() + 64 * 50 + 3, data.begin() + 64 * 50 + 13));
  EXPECT_LE(counting.gets, 5);  // one path from the root to a leaf (100 leaves: depth 4)
}

TEST(Exporter, InlineIdentityCidsNeedNoStore) {
  MemoryBlocks empty;
  Cid inline_cid = Cid::v1(kCodecRaw, multihash_identity(as_bytes("hi")));
  EXPECT_EQ(*read_all(empty, inline_cid), to_bytes("hi"));
  EXPECT_EQ(read_all(empty, Cid::of(as_bytes("absent"))).error().code, Errc::not_found);
  EXPECT_EQ(read_all(empty, Cid::of(as_bytes("x"), kCodecDagCbor)).error().code, Errc::unsupported);
}

TEST(Exporter, RejectsBlocksThatDoNotMatchTheirCid) {
  MemoryBlocks blocks;
  Cid cid = Cid::of(as_bytes("real"));
  ASSERT_TRUE(blocks.put(cid, to_bytes("fake")).ok());
  auto r = read_all(blocks, cid);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_input);
}

TEST(Exporter, RejectsInconsistentFileNodes) {
  MemoryBlocks blocks;
  Cid leaf = put_raw(blocks, "abcd");
  // filesize disagrees with the blocksizes.
  UnixfsData lying{.type = UnixfsType::file, .blocksizes = {4}};
  PbNode node{{PbLink{leaf, "", 4}}, encode_unixfs_data(lying)};
  Bytes block = encode_dag_pb(node);
  block[block.size() - 3] = 9;  // filesize field: 0x18 0x04 -> 0x18 0x09 (sits before 0x20 0x04)
  Cid bad_size = Cid::of(block, kCodecDagPb);
  ASSERT_TRUE(blocks.put(bad_size, block).ok());
  EXPECT_EQ(read_all(blocks, bad_size).error().code, Errc::invalid_input);
  // The parent says 5 bytes, the child holds 4.
  Cid wrong_child =
      put_node(blocks, {.type = UnixfsType::file, .blocksizes = {5}}, {{leaf, "", 4}});
  EXPECT_EQ(read_all(blocks, wrong_child).error().code, Errc::invalid_input);
  // Fewer blocksizes than links.
  Cid missing = put_node(blocks, {.type = UnixfsType::file}, {{leaf, "", 4}});
  EXPECT_EQ(read_all(blocks, missing).error().code, Errc::invalid_input);
  // A directory inside a file.
  Cid dir = put_node(blocks, {.type = UnixfsType::directory});
  Cid holds_dir = put_node(blocks, {.type = UnixfsType::file, .blocksizes = {1}}, {{dir, "", 4}});
  EXPECT_EQ(read_all(blocks, holds_dir).error().code, Errc::invalid_input);
  // Not a file at all.
  EXPECT_EQ(read_all(blocks, dir).error().code, Errc::invalid_input);
}

TEST(Exporter, BoundsFileDepth) {
  MemoryBlocks blocks;
  Cid node = put_raw(blocks, "z");
  for (int i = 0; i < 20; ++i)
    node = put_node(blocks, {.type = UnixfsType::file, .blocksizes = {1}}, {{node, "", 1}});
  ExportLimits limits;
  limits.file_depth_max = 16;
  auto r = read_file(
      blocks, node, [](BytesView) { return Status{}; }, 0, {}, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
  limits.file_depth_max = 20;
  EXPECT_TRUE(read_file(
                  blocks, node, [](BytesView) { return Status{}; }, 0, {}, limits)
                  .ok());
}

TEST(Exporter, ResolvesPathsAndReportsWhatIsMissing) {
  TempDir tmp;
  testing::write_file(tmp.path() / "t" / "a" / "b" / "c.txt", as_bytes("deep"));
  testing::write_file(tmp.path() / "t" / "f", as_bytes("file"));
  MemoryBlocks blocks;
  auto root = import_path(tmp.path() / "t", ImportOptions{}, blocks);
  ASSERT_TRUE(root.ok());
  auto c = resolve_path(blocks, root->cid, "/a//b/c.txt/");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(*read_all(blocks, *c), to_bytes("deep"));
  EXPECT_EQ(*resolve_path(blocks, root->cid, ""), root->cid);
  EXPECT_EQ(resolve_path(blocks, root->cid, "a/x").error().code, Errc::not_found);
  EXPECT_EQ(resolve_path(blocks, root->cid, "f/x").error().code, Errc::not_found);
  EXPECT_EQ(resolve_path(blocks, root->cid, "a/../f").error().code, Errc::invalid_input);
  EXPECT_EQ(resolve_path(blocks, root->cid, "./f").error().code, Errc::invalid_input);
  ExportLimits limits;
  limits.path_depth_max = 2;
  EXPECT_EQ(resolve_path(blocks, root->cid, "a/b/c.txt", limits).error().code, Errc::too_large);

  auto list = list_directory(blocks, root->cid);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "a");
  EXPECT_FALSE((*list)[0].type.has_value());  // a dag-pb child: unknown without fetching
  EXPECT_EQ((*list)[1].name, "f");
  EXPECT_EQ((*list)[1].type, NodeType::raw);
  EXPECT_EQ((*list)[1].tsize, 4u);
  EXPECT_EQ(list_directory(blocks, *c).error().code, Errc::invalid_input);
}

TEST(Exporter, RejectsHostileNames) {
  for (std::string bad : std::vector<std::string>{"", ".", "..", "a/b", std::string("a\0b", 3),
                                                  std::string(256, 'n')}) {
    MemoryBlocks blocks;
    Cid file = put_raw(blocks, "pwned");
    Cid dir = put_node(blocks, {.type = UnixfsType::directory}, {named(bad, file)});
    EXPECT_EQ(list_directory(blocks, dir).error().code, Errc::invalid_input);
    TempDir tmp;
    auto s = export_to_path(blocks, dir, tmp.path() / "out");
    ASSERT_FALSE(s.ok());
    // Nothing was written next to the destination.
    size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(tmp.path()))
      n += e.path().filename() != "out";
    EXPECT_EQ(n, 0u);
  }
}

TEST(Exporter, SymlinksNeverRedirectWrites) {
  TempDir tmp;
  std::filesystem::path outside = tmp.path() / "outside";
  std::filesystem::create_directories(outside);
  MemoryBlocks blocks;
  Cid evil = put_node(blocks, {.type = UnixfsType::symlink, .data = to_bytes(outside.string())});
  Cid payload = put_raw(blocks, "pwned");
  Cid inner = put_node(blocks, {.type = UnixfsType::directory}, {named("pwn", payload)});
  // Two entries named "a": a symlink out, then a directory that would be written through it.
  Cid dup =
      put_node(blocks, {.type = UnixfsType::directory}, {named("a", evil), named("a", inner)});
  EXPECT_FALSE(export_to_path(blocks, dup, tmp.path() / "out1").ok());
  EXPECT_FALSE(std::filesystem::exists(outside / "pwn"));

  // A lone symlink is written as a symlink, pointing wherever it says, and nothing follows it.
  Cid lone =
      put_node(blocks, {.type = UnixfsType::directory}, {named("link", evil), named("z", payload)});
  ASSERT_TRUE(export_to_path(blocks, lone, tmp.path() / "out2").ok());
  EXPECT_TRUE(std::filesystem::is_symlink(tmp.path() / "out2" / "link"));
  EXPECT_EQ(std::filesystem::read_symlink(tmp.path() / "out2" / "link"), outside);
  EXPECT_TRUE(std::filesystem::is_empty(outside));

  // Destinations that exist are refused, symlinks included.
  std::filesystem::create_symlink(outside, tmp.path() / "out3");
  EXPECT_EQ(export_to_path(blocks, payload, tmp.path() / "out3").error().code, Errc::exists);
  EXPECT_TRUE(std::filesystem::is_empty(outside));
  // Empty or NUL-carrying symlink targets are refused.
  Cid empty_link = put_node(blocks, {.type = UnixfsType::symlink});
  EXPECT_FALSE(export_to_path(blocks, empty_link, tmp.path() / "out4").ok());
}

TEST(Exporter, BoundsSharedSubtreesAndNesting) {
  MemoryBlocks blocks;
  Cid file = put_raw(blocks, "x");
  std::vector<PbLink> files, dirs;
  for (int i = 0; i < 100; ++i) files.push_back(named("f" + std::to_string(i), file));
  Cid leafdir = put_node(blocks, {.type = UnixfsType::directory}, files);
  for (int i = 0; i < 100; ++i) dirs.push_back(named("d" + std::to_string(i), leafdir));
  Cid top = put_node(blocks, {.type = UnixfsType::directory}, dirs);  // 10,100 entries to write
  ExportLimits limits;
  limits.entries_max = 1000;
  TempDir tmp;
  auto s = export_to_path(blocks, top, tmp.path() / "out", limits);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::too_large);

  Cid chain = file;
  for (int i = 0; i < 10; ++i)
    chain = put_node(blocks, {.type = UnixfsType::directory}, {named("n", chain)});
  limits = ExportLimits{};
  limits.path_depth_max = 5;
  EXPECT_EQ(export_to_path(blocks, chain, tmp.path() / "deep", limits).error().code,
            Errc::too_large);
}

TEST(Exporter, RejectsBadShards) {
  MemoryBlocks blocks;
  Cid file = put_raw(blocks, "x");
  Cid fanout3 = put_node(blocks,
                         {.type = UnixfsType::hamt_shard,
                          .data = {1},
                          .hash_type = kUnixfsHamtHashMurmur3,
                          .fanout = 3},
                         {named("00a", file)});
  EXPECT_EQ(list_directory(blocks, fanout3).error().code, Errc::invalid_input);
  Cid other_hash = put_node(
      blocks, {.type = UnixfsType::hamt_shard, .data = {1}, .hash_type = 0x12, .fanout = 256},
      {named("00a", file)});
  EXPECT_EQ(list_directory(blocks, other_hash).error().code, Errc::unsupported);
  Cid short_name = put_node(blocks,
                            {.type = UnixfsType::hamt_shard,
                             .data = {1},
                             .hash_type = kUnixfsHamtHashMurmur3,
                             .fanout = 256},
                            {named("0", file)});
  EXPECT_EQ(list_directory(blocks, short_name).error().code, Errc::invalid_input);
  // A sub-shard link that points at a plain directory.
  Cid plain = put_node(blocks, {.type = UnixfsType::directory});
  Cid bad_sub = put_node(blocks,
                         {.type = UnixfsType::hamt_shard,
                          .data = {1},
                          .hash_type = kUnixfsHamtHashMurmur3,
                          .fanout = 256},
                         {named("00", plain)});
  EXPECT_EQ(list_directory(blocks, bad_sub).error().code, Errc::invalid_input);
  // A shard that is its own grandchild cannot exist (CIDs are hashes), but one shared sub-shard
  // linked from every slot multiplies work: the budget stops it.
  // (An empty bottom shard: entries would trip the duplicate-name check first.)
  Cid sub = put_node(blocks, {.type = UnixfsType::hamt_shard,
                              .data = {0},
                              .hash_type = kUnixfsHamtHashMurmur3,
                              .fanout = 256});
  for (int level = 0; level < 4; ++level) {
    std::vector<PbLink> links;
    for (int slot = 0; slot < 256; ++slot) links.push_back(named(hamt_slot_prefix(slot, 256), sub));
    sub = put_node(blocks,
                   {.type = UnixfsType::hamt_shard,
                    .data = Bytes(32, 0xff),
                    .hash_type = kUnixfsHamtHashMurmur3,
                    .fanout = 256},
                   links);
  }
  ExportLimits limits;
  limits.entries_max = 100000;
  EXPECT_EQ(list_directory(blocks, sub, limits).error().code, Errc::too_large);
}

}  // namespace
}  // namespace agora::unixfs
