// Write throughput, measured by hand (never in CI: a timing never decides a test):
//   blockstore_tests --gtest_also_run_disabled_tests --gtest_filter='BlockstoreBench.*'
// FilesAgainstOnePackFile is the measurement behind keeping one file per block (issue 12): the
// Blockstore against the best a pack could do (the same bytes appended to one file, made durable
// as often), writing and reading back cold, for several block sizes.
// AGORA_BENCH_DIR picks the filesystem (default: the temp directory). Compare with
// `dd if=/dev/zero of=X bs=1M count=1024 conv=fsync` on the same filesystem at the same time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "store/blockstore.h"
#include "store/test_blocks.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

constexpr size_t kBlockBytes = 1 << 20;

double cpu_seconds() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Writes `blocks` distinct 1 MiB blocks (one random MiB, a counter on top) through a Batch or
// put() and prints MB/s and CPU seconds per GiB.
void measure(size_t blocks, bool use_batch) {
  TestDir dir;
  std::filesystem::path where = dir.path();
  if (const char* d = std::getenv("AGORA_BENCH_DIR")) where = std::filesystem::path(d) / "bench";
  auto store = Blockstore::open(where / "blocks");
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  Bytes data = test_block(kBlockBytes, 42);
  double cpu_start = cpu_seconds();
  auto start = std::chrono::steady_clock::now();
  auto batch = (*store)->batch();
  for (size_t i = 0; i < blocks; ++i) {
    put_u64_be(data.data(), i);
    Status st = use_batch ? batch.add(raw_cid(data), data) : (*store)->put(raw_cid(data), data);
    ASSERT_TRUE(st.ok()) << st.error().to_string();
  }
  ASSERT_TRUE(batch.commit().ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double gib = double(blocks * kBlockBytes) / double(1 << 30);
  std::printf("%s: %zu x 1 MiB in %.2f s = %.0f MB/s, %.2f CPU s/GiB\n",
              use_batch ? "Batch" : "put()", blocks, seconds,
              double(blocks * kBlockBytes) / seconds / 1e6, (cpu_seconds() - cpu_start) / gib);
  std::error_code ec;
  std::filesystem::remove_all(where, ec);
}

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Drops `path`'s pages from the page cache (it was made durable first), so reads go to disk.
void evict(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

struct LayoutFigures {
  double write_mb_s = 0, read_mb_s = 0;
};

// `total` bytes in blocks of `block` bytes through a Batch (committed every `commit` bytes, as
// an xfer download commits), then each block read back with get() after evicting the cache.
LayoutFigures files_per_block(const std::filesystem::path& where, size_t block, size_t total,
                              size_t commit) {
  auto store = Blockstore::open(where / "blocks");
  EXPECT_TRUE(store.ok());
  Bytes data = test_block(block, 7);
  std::vector<Cid> cids;
  auto start = std::chrono::steady_clock::now();
  auto batch = (*store)->batch();
  for (size_t i = 0, pending = 0; i < total / block; ++i) {
    put_u64_be(data.data(), i);
    cids.push_back(raw_cid(data));
    EXPECT_TRUE(batch.add_verified(cids.back(), data).ok());
    if ((pending += block) >= commit) {
      EXPECT_TRUE(batch.commit().ok());
      pending = 0;
    }
  }
  EXPECT_TRUE(batch.commit().ok());
  LayoutFigures f;
  f.write_mb_s = double(total) / since(start) / 1e6;
  for (const auto& e : std::filesystem::recursive_directory_iterator(where / "blocks"))
    if (e.is_regular_file()) evict(e.path());
  start = std::chrono::steady_clock::now();
  for (const Cid& cid : cids) EXPECT_TRUE((*store)->get(cid).ok());
  f.read_mb_s = double(total) / since(start) / 1e6;
  return f;
}

// The same blocks appended to one file with pwrite, fdatasync every `commit` bytes, then read
// back with pread: a pack without index or crash handling, so an upper bound for packing.
LayoutFigures one_pack_file(const std::filesystem::path& where, size_t block, size_t total,
                            size_t commit) {
  std::filesystem::create_directories(where);
  std::filesystem::path path = where / "pack";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EXPECT_GE(fd, 0);
  Bytes data = test_block(block, 7);
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0, pending = 0; i < total / block; ++i) {
    put_u64_be(data.data(), i);
    (void)raw_cid(data);  // the Blockstore side hashes each block for its name too
    EXPECT_EQ(::pwrite(fd, data.data(), block, off_t(i * block)), ssize_t(block));
    if ((pending += block) >= commit) {
      EXPECT_EQ(::fdatasync(fd), 0);
      pending = 0;
    }
  }
  EXPECT_EQ(::fdatasync(fd), 0);
  LayoutFigures f;
  f.write_mb_s = double(total) / since(start) / 1e6;
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < total / block; ++i)
    EXPECT_EQ(::pread(fd, data.data(), block, off_t(i * block)), ssize_t(block));
  f.read_mb_s = double(total) / since(start) / 1e6;
  ::close(fd);
  return f;
}

// 256 MiB per block size, three rounds alternating which goes first; prints each round.
TEST(BlockstoreBench, DISABLED_FilesAgainstOnePackFile) {
  TestDir dir;
  std::filesystem::path base = dir.path();
  if (const char* d = std::getenv("AGORA_BENCH_DIR")) base = std::filesystem::path(d) / "bench";
  constexpr size_t kTotal = 256 << 20, kCommit = 16 << 20;
  for (size_t block : {size_t(16) << 10, size_t(256) << 10, size_t(1) << 20}) {
    for (int round = 0; round < 3; ++round) {
      LayoutFigures files, pack;
      for (int side = 0; side < 2; ++side) {
        std::error_code ec;
        std::filesystem::remove_all(base / "r", ec);
        if ((side + round) % 2 == 0)
          files = files_per_block(base / "r", block, kTotal, kCommit);
        else
          pack = one_pack_file(base / "r", block, kTotal, kCommit);
      }
      std::printf(
          "%4zu KiB blocks, round %d: write files %.0f MB/s pack %.0f MB/s (%.2f); "
          "cold read files %.0f MB/s pack %.0f MB/s (%.2f)\n",
          block >> 10, round + 1, files.write_mb_s, pack.write_mb_s,
          files.write_mb_s / pack.write_mb_s, files.read_mb_s, pack.read_mb_s,
          files.read_mb_s / pack.read_mb_s);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(base / "r", ec);
}

TEST(BlockstoreBench, DISABLED_BatchWrite1GiB) { measure(1024, true); }
TEST(BlockstoreBench, DISABLED_PutWrite128MiB) { measure(128, false); }

}  // namespace
}  // namespace agora::store
