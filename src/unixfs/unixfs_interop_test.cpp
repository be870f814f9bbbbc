// CID parity with js: every expected CID below was printed by tests/interop/js/unixfs-vectors.mjs
// (ipfs-unixfs-importer 17.1.1, @helia/unixfs 8.0.5 under Node 22; see that script for the exact
// js calls). The inputs are rebuilt here the same way, on disk where the tree is plain data.
#include <gtest/gtest.h>

#include <cstdio>

#include "unixfs/directory_builder.h"
#include "unixfs/import_path.h"
#include "unixfs/test_util.h"

namespace agora::unixfs {
namespace {

using testing::import_bytes;
using testing::pattern_bytes;
using testing::TempDir;
using testing::write_file;

const Profile kV1 = profile_unixfs_v1_2025();
const Profile kV0 = profile_unixfs_v0_2015();

std::string pad5(size_t i) {
  char buf[32];  // room for any size_t: GCC checks the worst case
  std::snprintf(buf, sizeof buf, "%05zu", i);
  return buf;
}

std::string import_tree(const std::filesystem::path& root, const Profile& profile,
                        MemoryBlocks* keep = nullptr) {
  MemoryBlocks local;
  MemoryBlocks& blocks = keep ? *keep : local;
  ImportOptions options;
  options.profile = profile;
  auto r = import_path(root, options, blocks);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? r->cid.to_string() : "";
}

void make_small_tree(const std::filesystem::path& top, size_t chunk_bytes) {
  write_file(top / "a.txt", as_bytes("hello agora\n"));
  write_file(top / "a", as_bytes("short name sorts before a.txt"));
  write_file(top / "b.bin", pattern_bytes(3000));
  write_file(top / "big.bin", pattern_bytes(chunk_bytes + 1));
  write_file(top / "empty.txt", {});
  std::filesystem::create_directories(top / "empty-dir");
  write_file(top / "sub" / "c.txt", as_bytes("c"));
  write_file(top / "sub" / "deeper" / "d.txt", as_bytes("d\n"));
  std::filesystem::create_symlink("a.txt", top / "link");
  write_file(top / "Zeta", as_bytes("Z"));
  write_file(top /
                 "\xc3\xbc"
                 "n\xc3\xaf"
                 "c\xc3\xb8"
                 "d\xc3\xa9-\xe5\x90\x8d\xe5\x89\x8d.txt",
             as_bytes("unicode\n"));
}

TEST(UnixfsInterop, SmallDirectoryTree) {
  TempDir v1, v0;
  make_small_tree(v1.path() / "top", kV1.chunk_bytes);
  make_small_tree(v0.path() / "top", kV0.chunk_bytes);
  EXPECT_EQ(import_tree(v1.path() / "top", kV1),
            "bafybeibeeey2bjruppc64nvo5c64nm3k5z3rdgnnhtup7oonarxbb7qq24");
  EXPECT_EQ(import_tree(v0.path() / "top", kV0), "QmXYnYRWy6Bif9FycydT7K6PaDHp5tVaBZN6Q9hhuLJwHK");
}

// f<5-digit index> padded with 'a' to name_bytes (the last to last_name_bytes), each holding "x".
void make_edge_tree(const std::filesystem::path& top, size_t count, size_t name_bytes,
                    size_t last_name_bytes) {
  for (size_t i = 0; i < count; ++i) {
    std::string name = "f" + pad5(i);
    name.resize(i + 1 == count ? last_name_bytes : name_bytes, 'a');
    write_file(top / name, as_bytes("x"));
  }
}

struct EdgeCase {
  Profile profile;
  size_t count, name_bytes, last_name_bytes;
  bool sharded;
  const char* cid;
};

TEST(UnixfsInterop, ShardingThresholdIsExclusiveInBothEstimates) {
  Profile helia = kV1;  // @helia/unixfs addAll defaults: v1 layout, links-bytes sharding
  helia.hamt_size_estimate = HamtSizeEstimate::links_bytes;
  const EdgeCase cases[] = {
      {kV1, 2001, 86, 95, false, "bafybeiaxliifmjyzbmtedsr4iktkzbjzbsbxbuh5hjdy6hpwn6sszv3anm"},
      {kV1, 2001, 86, 96, true, "bafybeicp376uodjw45lfgcpfmszvhqmj5ji337y67exqiqwdhanvikn6iy"},
      {kV0, 2048, 94, 94, false, "QmcY76J5UqpZ98YdR7dsKQU9MV9mT5CoFs1dsN9p3vkBTV"},
      {kV0, 2048, 94, 95, true, "QmPEz8iZWPy6nYroYkkLZfbVoWrMrq5zqTW1qE4dYfQQd7"},
      {helia, 2001, 86, 96, false, "bafybeihyxwz5kprylgker7fpmjk43li4oxramvltdiq6yjrrtsfvwiubsu"},
  };
  for (const EdgeCase& c : cases) {
    TempDir dir;
    make_edge_tree(dir.path() / "top", c.count, c.name_bytes, c.last_name_bytes);
    MemoryBlocks blocks;
    EXPECT_EQ(import_tree(dir.path() / "top", c.profile, &blocks), c.cid);
    auto st = stat(blocks, *Cid::parse(c.cid));
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_EQ(st->sharded, c.sharded) << c.cid;
  }
}

void make_many_files(const std::filesystem::path& top, size_t count) {
  for (size_t i = 0; i < count; ++i)
    write_file(top / ("file-" + pad5(i) + ".txt"), as_bytes("content " + std::to_string(i) + "\n"));
}

TEST(UnixfsInterop, HamtDirectoryOf6000Files) {
  TempDir dir;
  make_many_files(dir.path() / "top", 6000);
  Profile helia = kV1;
  helia.hamt_size_estimate = HamtSizeEstimate::links_bytes;
  MemoryBlocks blocks;
  EXPECT_EQ(import_tree(dir.path() / "top", kV1, &blocks),
            "bafybeih3itxvs7kajqqvzn67iuhyaobe7dm2naommursxoopzn77npxkke");
  EXPECT_EQ(import_tree(dir.path() / "top", helia),
            "bafybeih3itxvs7kajqqvzn67iuhyaobe7dm2naommursxoopzn77npxkke");
  EXPECT_EQ(import_tree(dir.path() / "top", kV0), "QmVwKYVUo2SDDCg1RNVzUGQZzAhuEDxjdVwUfUUTLNCQCs");
  // The HAMT reads back: every name resolves through the shards, the listing is complete.
  Cid root = *Cid::parse("bafybeih3itxvs7kajqqvzn67iuhyaobe7dm2naommursxoopzn77npxkke");
  auto list = list_directory(blocks, root);
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  EXPECT_EQ(list->size(), 6000u);
  for (size_t i : {0u, 1u, 2999u, 5999u}) {
    auto cid = resolve_path(blocks, root, "file-" + pad5(i) + ".txt");
    ASSERT_TRUE(cid.ok()) << cid.error().to_string();
    EXPECT_EQ(*testing::read_all(blocks, *cid), to_bytes("content " + std::to_string(i) + "\n"));
  }
  EXPECT_EQ(resolve_path(blocks, root, "file-06000.txt").error().code, Errc::not_found);
}

TEST(UnixfsInterop, NonEmptySubdirectoriesDoNotCountTowardSharding) {
  TempDir dir;
  for (size_t i = 0; i < 2100; ++i) {
    std::string name = "d" + pad5(i);
    name.resize(100, 'x');
    write_file(dir.path() / "top" / name / "f", as_bytes("f"));
  }
  EXPECT_EQ(import_tree(dir.path() / "top", kV1),
            "bafybeifqrsq6g725wkp64moj55rop75arr52jskzaizkerop47vje5bvei");
}

TEST(UnixfsInterop, DeepTreesWithTinyChunks) {
  Profile raw = kV1, pb = kV0;
  for (Profile* p : {&raw, &pb}) {
    p->chunk_bytes = 4;
    p->links_per_node_max = 3;
  }
  struct Case {
    size_t bytes;
    const char* raw_cid;
    const char* pb_cid;
  } cases[] = {
      {0, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
       "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH"},
      {1, "bafkreidogqfzz75tpkmjzjke425xqcrmpcib2p5tg44hnbirumdbpl5adu",
       "QmS9JArPwa55ePgDnyg6TzX24mYTS1b1vLqWNebyVotKxQ"},
      {3, "bafkreifojmzibzlof6xyh5auu3r5vpu5l67brf3fitaf73isdlglqw2t7q",
       "QmV8BswP26H2stWWUXgizp3iyL8YCqzjicgs9rFsoqGu12"},
      {4, "bafkreiafj3pmdubbd5re73imxsu5j6kabmheshcdoqvpfrnqvpv7bsmq3a",
       "QmSpgrxS7GV2xivpNPmgy8YPyPhSDmTJumDwv3RGNBXjE9"},
      {5, "bafybeidoaxjtfzmllhcway5ubogf3onacj5hcjxkps6ltqkicxj5degtta",
       "Qmf2coSLeNjuq1scU2DSVGD8F51awNaZzYwKmhVaarNUdE"},
      {12, "bafybeiescpchc5ia7pu7ztozfeiu6k4yith5dbt3r43xshnyudv7krmtae",
       "QmVyBTWKNq9Hrk6QDeg6qAqQrF1jiSchichpC3i6edekov"},
      {13, "bafybeigioqx7mhmr5omwrkizhlha6jprh2gzlqmazplk4cj2ezmbx6lhei",
       "Qmc1Du5QVrAgTSdvJecBgekPgVZfaTxdYMrGXmQ62L9n5Q"},
      {36, "bafybeiazbw7qde46yxbdyyv4rzu3cbrk2cf7f3h7vtbpbzhooueqfws6ti",
       "QmSrLbaad7uec55vAJfn39XBCsppQtT8ivcRnAJMvzfhNA"},
      {37, "bafybeidiwnloirt3sptf4j5vz6iif5pod6yee4z23t57sftychzrp2n4ge",
       "QmYD7tcjqnMfeEXS4sRvUBevtzcpxRLCFKSD83NXVEmX2J"},
      {100, "bafybeihq4ybren3j7zcwiuivmzvuibnfhncanktxl22ikod5rz5kor5uja",
       "QmQ9SHUs27dzDcjvTKh6KdYACK8sp7CWjoECtcY9Bi7qhw"},
  };
  for (const Case& c : cases) {
    MemoryBlocks a, b;
    EXPECT_EQ(import_bytes(pattern_bytes(c.bytes), raw, a)->cid.to_string(), c.raw_cid) << c.bytes;
    EXPECT_EQ(import_bytes(pattern_bytes(c.bytes), pb, b)->cid.to_string(), c.pb_cid) << c.bytes;
  }
  MemoryBlocks m;
  FileMeta meta{.mode = 0444, .mtime = UnixTime{99, 1}};
  EXPECT_EQ(import_bytes(pattern_bytes(13), raw, m, meta)->cid.to_string(),
            "bafybeigptzwdy5n4kjgvjvszrymbttgzcxdcsvm4ncf2qeyjf4dmsnjcs4");
}

TEST(UnixfsInterop, FilesWithModeAndMtime) {
  MemoryBlocks blocks;
  EXPECT_EQ(import_bytes(as_bytes("hello agora\n"), kV1, blocks,
                         FileMeta{.mode = 0600, .mtime = UnixTime{1700000000, 5}})
                ->cid.to_string(),
            "bafybeihqbv3fscvw2k56fhfoi4uauhcp7fdjovi5amtxp2zpro632qp3dm");
  EXPECT_EQ(import_bytes(pattern_bytes(2621440), kV1, blocks,
                         FileMeta{.mode = 0755, .mtime = UnixTime{-5, {}}})
                ->cid.to_string(),
            "bafybeiacb4ju73ixi3lgp2hbj7wscd6u7weidblhn5lpu7xis4aqe3uqru");
  EXPECT_EQ(import_bytes({}, kV1, blocks, FileMeta{.mode = 0600})->cid.to_string(),
            "bafybeicdtg2egiote6qopcc6rraaqguy4poepojwbshixncjc44nz2jsbe");
}

TEST(UnixfsInterop, DirectoryAndSymlinkWithModeAndMtime) {
  MemoryBlocks blocks;
  DirectoryBuilder top(kV1, FileMeta{.mode = 0700, .mtime = UnixTime{3, 0}});
  auto f = import_bytes(as_bytes("f"), kV1, blocks, FileMeta{.mode = 0640});
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(top.add("f", *f, EntryKind::file).ok());
  auto s = write_symlink(kV1, "f", FileMeta{.mtime = UnixTime{10, {}}}, blocks);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(top.add("s", *s, EntryKind::symlink).ok());
  DirectoryBuilder e(kV1, FileMeta{.mode = 0755, .mtime = UnixTime{7, {}}});
  auto empty = e.finish(blocks);
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(top.add("e", *empty, EntryKind::empty_directory).ok());
  auto root = top.finish(blocks);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->cid.to_string(), "bafybeig6ait44edbw7h66dncs777md3wmttwcnuu6xanpxlr2awuasrpam");

  auto st = stat(blocks, root->cid);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->mode, 0700u);
  EXPECT_EQ(st->mtime, (UnixTime{3, 0}));
}

TEST(UnixfsInterop, HamtRootWithModeAndMtime) {
  MemoryBlocks blocks;
  DirectoryBuilder top(kV1, FileMeta{.mode = 0700, .mtime = UnixTime{1234567890, 1000}});
  for (size_t i = 0; i < 6000; ++i) {
    auto f = import_bytes(as_bytes("content " + std::to_string(i) + "\n"), kV1, blocks);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(top.add("file-" + pad5(i) + ".txt", *f, EntryKind::file).ok());
  }
  auto root = top.finish(blocks);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->cid.to_string(), "bafybeihs5ucgiiehfesqqy7m7ifjphgtr5vd5jfrf3jpzdkkod2hnsifoy");
}

}  // namespace
}  // namespace agora::unixfs
