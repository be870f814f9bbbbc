// export_to_path's size checks: the declared size against --max-size and the free space before
// anything is written, and the bytes written counted against both, so a DAG that repeats one block
// or lies about its directory sizes cannot fill the disk.
#include <gtest/gtest.h>

#include "unixfs/exporter.h"
#include "unixfs/test_util.h"

namespace agora::unixfs {
namespace {

using testing::put_node;
using testing::TempDir;

constexpr uint64_t kLeafBytes = 4096;

// A legal file of `copies` links to one raw leaf: few blocks fetched, copies * 4 KiB written.
Cid repeated_block_file(MemoryBlocks& blocks, size_t copies) {
  Bytes leaf_data = testing::random_bytes(kLeafBytes, 1);
  Cid leaf = Cid::of(leaf_data);
  EXPECT_TRUE(blocks.put(leaf, leaf_data).ok());
  UnixfsData file{.type = UnixfsType::file, .filesize = copies * kLeafBytes};
  std::vector<PbLink> links;
  for (size_t i = 0; i < copies; ++i) {
    file.blocksizes.push_back(kLeafBytes);
    links.push_back(PbLink{leaf, "", kLeafBytes});
  }
  return put_node(blocks, file, links);
}

size_t entries_under(const std::filesystem::path& dir) {
  size_t n = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it)
    ++n;
  return n;
}

TEST(ExportLimits, ARepeatedBlockFileOverMaxSizeIsRefusedBeforeWriting) {
  MemoryBlocks blocks;
  Cid file = repeated_block_file(blocks, 256);  // 1 MiB declared from two blocks
  EXPECT_EQ(*declared_bytes(blocks, file), 256 * kLeafBytes);
  TempDir tmp;
  ExportLimits limits;
  limits.output_bytes_max = 256 * kLeafBytes - 1;
  Status refused = export_to_path(blocks, file, tmp.path() / "out", limits);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::too_large);
  EXPECT_NE(refused.error().message.find("--max-size"), std::string::npos)
      << refused.error().message;
  // Refused by the declared size, before writing (not cut off by the byte count while writing).
  EXPECT_NE(refused.error().message.find("declares"), std::string::npos) << refused.error().message;
  EXPECT_EQ(entries_under(tmp.path()), 0u);  // nothing written

  // Repeating a block is legal: within the limit, the file is written whole.
  limits.output_bytes_max = 256 * kLeafBytes;
  Status wrote = export_to_path(blocks, file, tmp.path() / "out", limits);
  ASSERT_TRUE(wrote.ok()) << wrote.error().to_string();
  EXPECT_EQ(std::filesystem::file_size(tmp.path() / "out"), 256 * kLeafBytes);
}

TEST(ExportLimits, AFileThatWouldEatTheFreeSpaceIsRefusedBeforeWriting) {
  MemoryBlocks blocks;
  Cid file = repeated_block_file(blocks, 4);
  TempDir tmp;
  ExportLimits limits;
  // No filesystem has this much free: the margin alone exceeds it.
  limits.disk_free_margin_bytes = UINT64_MAX / 2;
  Status refused = export_to_path(blocks, file, tmp.path() / "out", limits);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::too_large);
  EXPECT_NE(refused.error().message.find("free space"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("declares"), std::string::npos) << refused.error().message;
  EXPECT_EQ(entries_under(tmp.path()), 0u);
  // The default margin leaves room for a small file.
  EXPECT_TRUE(export_to_path(blocks, file, tmp.path() / "out").ok());
}

TEST(ExportLimits, ADirectoryThatUnderstatesItsSizeStopsAtTheLimit) {
  MemoryBlocks blocks;
  Cid file = repeated_block_file(blocks, 16);  // 64 KiB
  std::vector<PbLink> entries;
  for (int i = 0; i < 8; ++i) entries.push_back(PbLink{file, "f" + std::to_string(i), 1});
  Cid dir = put_node(blocks, {.type = UnixfsType::directory}, entries);  // "8 bytes"
  EXPECT_EQ(*declared_bytes(blocks, dir), 8u);
  TempDir tmp;
  ExportLimits limits;
  limits.output_bytes_max = 16 * kLeafBytes * 3 / 2;  // one and a half files
  Status stopped = export_to_path(blocks, dir, tmp.path() / "out", limits);
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().code, Errc::too_large);
  EXPECT_NE(stopped.error().message.find("more than it declared"), std::string::npos)
      << stopped.error().message;
  // The first file is whole; the second, cut off, was removed; nothing else was started.
  EXPECT_EQ(std::filesystem::file_size(tmp.path() / "out" / "f0"), 16 * kLeafBytes);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "out" / "f1"));
  EXPECT_EQ(entries_under(tmp.path() / "out"), 1u);
}

}  // namespace
}  // namespace agora::unixfs
