// Write throughput, measured by hand (never in CI: a timing never decides a test):
//   blockstore_tests --gtest_also_run_disabled_tests --gtest_filter='BlockstoreBench.*'
// AGORA_BENCH_DIR picks the filesystem (default: the temp directory). Compare with
// `dd if=/dev/zero of=X bs=1M count=1024 conv=fsync` on the same filesystem at the same time.
#include <gtest/gtest.h>
#include <sys/resource.h>

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

TEST(BlockstoreBench, DISABLED_BatchWrite1GiB) { measure(1024, true); }
TEST(BlockstoreBench, DISABLED_PutWrite128MiB) { measure(128, false); }

}  // namespace
}  // namespace agora::store
