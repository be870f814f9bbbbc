// Write throughput, measured by hand (never in CI: a timing never decides a test):
//   blockstore_tests --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
// AGORA_BENCH_DIR picks the filesystem (default: the temp directory).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "store/blockstore.h"
#include "store/test_blocks.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

TEST(BlockstoreBench, DISABLED_BatchWriteThroughput1GiB) {
  TestDir dir;
  std::filesystem::path where = dir.path();
  if (const char* d = std::getenv("AGORA_BENCH_DIR")) where = std::filesystem::path(d) / "bench";
  auto store = Blockstore::open(where / "blocks");
  ASSERT_TRUE(store.ok()) << store.error().to_string();
  constexpr size_t kBlockBytes = 1 << 20;
  constexpr size_t kBlocks = 1024;
  // Distinct blocks without paying for 1 GiB of random numbers: one random MiB, a counter on top.
  Bytes data = test_block(kBlockBytes, 42);
  auto start = std::chrono::steady_clock::now();
  auto batch = (*store)->batch();
  for (size_t i = 0; i < kBlocks; ++i) {
    put_u64_be(data.data(), i);
    ASSERT_TRUE(batch.add(raw_cid(data), data).ok());
  }
  double add_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(batch.commit().ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("batch: %zu x %zu bytes in %.2f s (adds %.2f s) = %.0f MB/s\n", kBlocks, kBlockBytes,
              seconds, add_seconds, double(kBlocks * kBlockBytes) / seconds / 1e6);
  std::error_code ec;
  std::filesystem::remove_all(where, ec);
}

}  // namespace
}  // namespace agora::store
