#include "store/repo_verify.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "store/repo_stat.h"
#include "store/test_blocks.h"
#include "store/test_dag.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void overwrite(const fs::path& p, std::string_view content) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
}

TEST(VerifyBlocks, QuarantinesCorruptAndMisnamedFiles) {
  TestDir dir;
  auto store = Blockstore::open(dir.path() / "blocks");
  ASSERT_TRUE(store.ok());
  Blockstore& blocks = **store;
  std::vector<Bytes> data;
  for (uint64_t i = 0; i < 10; ++i) {
    data.push_back(test_block(1000 + i, i));
    ASSERT_TRUE(blocks.put(raw_cid(data.back()), data.back()).ok());
  }
  // Corruptions: a flipped byte, a truncation, a misnamed file, a block in the wrong shard.
  fs::path flipped = blocks.path_of(raw_cid(data[0]).hash());
  std::string flipped_content = slurp(flipped);
  flipped_content[10] ^= 0x40;
  overwrite(flipped, flipped_content);
  fs::path truncated = blocks.path_of(raw_cid(data[1]).hash());
  fs::resize_file(truncated, 10);
  fs::path misnamed = flipped.parent_path() / "not-a-key.data";
  overwrite(misnamed, "junk");
  fs::path moved = blocks.path_of(raw_cid(data[2]).hash());
  fs::path wrong_shard =
      blocks.dir() / (moved.parent_path().filename() == "AA" ? "AB" : "AA") / moved.filename();
  fs::create_directories(wrong_shard.parent_path());
  fs::rename(moved, wrong_shard);

  fs::path quarantine = dir.path() / "quarantine";
  auto report = verify_blocks(blocks, quarantine);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->checked_blocks, 11u);
  EXPECT_EQ(report->good_blocks, 7u);
  EXPECT_EQ(report->quarantined_count, 4u);
  EXPECT_EQ(report->error_count, 0u);
  EXPECT_FALSE(report->clean());
  std::map<std::string, std::string> reasons;
  for (const QuarantinedFile& q : report->quarantined) {
    EXPECT_TRUE(fs::exists(q.moved_to)) << q.moved_to;
    EXPECT_FALSE(fs::exists(q.original)) << q.original;
    EXPECT_EQ(q.moved_to.parent_path(), quarantine);
    reasons[q.original.string()] = q.reason;
  }
  EXPECT_NE(reasons[flipped.string()].find("does not match its hash"), std::string::npos);
  EXPECT_NE(reasons[truncated.string()].find("does not match its hash"), std::string::npos);
  EXPECT_NE(reasons[misnamed.string()].find("not a block file name"), std::string::npos);
  EXPECT_NE(reasons[wrong_shard.string()].find("belongs in"), std::string::npos);
  // Never deleted: the bytes are in quarantine as they were.
  EXPECT_EQ(slurp(quarantine / flipped.filename()), flipped_content);
  EXPECT_EQ(slurp(quarantine / "not-a-key.data"), "junk");

  EXPECT_FALSE(blocks.has(raw_cid(data[0])));
  for (size_t i = 3; i < data.size(); ++i) EXPECT_EQ(*blocks.get(raw_cid(data[i])), data[i]);
  auto again = verify_blocks(blocks, quarantine);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->clean());
  EXPECT_EQ(again->good_blocks, 7u);

  // The same block corrupted again does not overwrite the first quarantined copy.
  ASSERT_TRUE(blocks.put(raw_cid(data[0]), data[0]).ok());
  overwrite(flipped, "second corruption");
  auto third = verify_blocks(blocks, quarantine);
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->quarantined_count, 1u);
  EXPECT_EQ(third->quarantined[0].moved_to.filename().string(), flipped.filename().string() + ".1");
  EXPECT_EQ(slurp(quarantine / flipped.filename()), flipped_content);
}

TEST(VerifyBlocks, SpecialFilesNeitherHangNorCrash) {
  TestDir dir;
  auto store = Blockstore::open(dir.path() / "blocks");
  ASSERT_TRUE(store.ok());
  Bytes data = test_block(100, 1);
  Cid cid = raw_cid(data);
  fs::path path = (*store)->path_of(cid.hash());
  fs::create_directories(path.parent_path());
  ASSERT_EQ(::mkfifo(path.c_str(), 0644), 0);
  EXPECT_FALSE((*store)->has(cid));  // not a regular file
  auto got = (*store)->get(cid);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::io);
  fs::path dir_path =
      path.parent_path() / "CIQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.data";
  fs::create_directories(dir_path);
  auto report = verify_blocks(**store, dir.path() / "quarantine");
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->quarantined_count, 2u);
  for (const QuarantinedFile& q : report->quarantined) EXPECT_EQ(q.reason, "not a regular file");
  // The store takes the real block afterwards.
  ASSERT_TRUE((*store)->put(cid, data).ok());
  EXPECT_EQ(*(*store)->get(cid), data);
}

TEST(VerifyPins, ReportsMissingBlocksOfRecursivePins) {
  TestDir dir;
  auto blocks = Blockstore::open(dir.path() / "blocks", {.fsync = false});
  auto pins = PinStore::open(dir.path() / "agora.db");
  ASSERT_TRUE(blocks.ok() && pins.ok());
  Bytes present = test_block(10, 1), absent = test_block(10, 2);
  ASSERT_TRUE((*blocks)->put(raw_cid(present), present).ok());
  Bytes root = dag_pb_node({raw_cid(present), raw_cid(absent)});
  Cid root_cid = Cid::of(root, kCodecDagPb);
  ASSERT_TRUE((*blocks)->put(root_cid, root).ok());
  ASSERT_TRUE((*pins)->add(root_cid, PinType::recursive).ok());

  auto report = verify_pins(**blocks, **pins, dag_pb_links);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->complete());
  EXPECT_EQ(report->reached_blocks, 3u);
  EXPECT_EQ(report->present_blocks, 2u);
  EXPECT_EQ(report->present_bytes, root.size() + 10);
  ASSERT_EQ(report->missing.size(), 1u);
  EXPECT_EQ(report->missing[0], raw_cid(absent));

  ASSERT_TRUE((*blocks)->put(raw_cid(absent), absent).ok());
  EXPECT_TRUE(verify_pins(**blocks, **pins, dag_pb_links)->complete());
}

TEST(RepoStat, CountsBlocksPinsAndFreeSpace) {
  TestDir dir;
  auto blocks = Blockstore::open(dir.path() / "blocks", {.fsync = false});
  auto pins = PinStore::open(dir.path() / "agora.db");
  ASSERT_TRUE(blocks.ok() && pins.ok());
  uint64_t bytes = 0;
  for (uint64_t i = 0; i < 12; ++i) {
    Bytes b = test_block(5000 + i, i);
    bytes += b.size();
    ASSERT_TRUE((*blocks)->put(raw_cid(b), b).ok());
    if (i < 3) {
      ASSERT_TRUE((*pins)->add(raw_cid(b), PinType::direct).ok());
    }
  }
  ASSERT_TRUE((*pins)->add(raw_cid(test_block(5000, 0)), PinType::direct, "named").ok());
  ASSERT_TRUE((*pins)->add(raw_cid(test_block(5011, 11)), PinType::recursive).ok());
  auto stat = repo_stat(**blocks, **pins);
  ASSERT_TRUE(stat.ok()) << stat.error().to_string();
  EXPECT_EQ(stat->blocks, 12u);
  EXPECT_EQ(stat->block_bytes, bytes);
  EXPECT_GE(stat->block_disk_bytes, bytes);
  EXPECT_EQ(stat->pins.direct, 3u);
  EXPECT_EQ(stat->pins.recursive, 1u);
  EXPECT_EQ(stat->pins.named, 1u);
  EXPECT_GT(stat->fs_free_bytes, 0u);
  EXPECT_GE(stat->fs_total_bytes, stat->fs_free_bytes);
  EXPECT_EQ(stat->blocks_dir, dir.path() / "blocks");
  EXPECT_EQ(stat->db_path, dir.path() / "agora.db");
}

}  // namespace
}  // namespace agora::store
