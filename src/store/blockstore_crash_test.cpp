// Crashes and full disks: a kill -9 at any moment, a write that fails half way. Either way the
// store must show only complete, correct blocks and keep working.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <chrono>
#include <random>
#include <thread>

#include "store/blockstore.h"
#include "store/repo_verify.h"
#include "store/test_blocks.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

// Writes blocks until killed: single puts and batches of 4 KiB to 2 MiB. Without fsync the loop
// spends most of its time inside write(), where a kill would leave a partial file if one could
// ever become visible. Tells the parent through `ready_fd` once the store is open.
[[noreturn]] void write_forever(const fs::path& blocks_dir, uint64_t seed, bool fsync,
                                int ready_fd) {
  auto store = Blockstore::open(blocks_dir, {.fsync = fsync});
  if (!store.ok()) ::_exit(2);
  std::mt19937_64 rng(seed);
  // One random buffer; a counter in the first bytes makes every block distinct.
  Bytes pool = test_block(2 << 20, seed);
  (void)!::write(ready_fd, "r", 1);
  uint64_t counter = seed << 32;
  auto next_block = [&](size_t size_max) {
    BytesView data(pool.data(), 4096 + rng() % (size_max - 4096));
    put_u64_be(pool.data(), counter++);
    return data;
  };
  for (uint64_t i = 0;; ++i) {
    if (i % 3 == 0) {
      BytesView data = next_block(pool.size());
      if (!(*store)->put(raw_cid(data), data).ok()) ::_exit(3);
      continue;
    }
    auto batch = (*store)->batch();
    for (int j = 0; j < 5; ++j) {
      BytesView data = next_block(pool.size() / 4);
      if (!batch.add(raw_cid(data), data).ok()) ::_exit(4);
    }
    if (!batch.commit().ok()) ::_exit(5);
  }
}

TEST(BlockstoreCrash, KillNineLeavesOnlyCompleteBlocks) {
  TestDir dir;
  fs::path blocks_dir = dir.path() / "blocks";
  std::mt19937 rng(std::random_device{}());
  constexpr int kIterations = 16;
  size_t temp_leftovers = 0;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(ready[0]);
      write_forever(blocks_dir, uint64_t(iteration) + 1, iteration % 2 == 0, ready[1]);
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the writer did not start";
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(10 + rng() % 150));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the writer stopped by itself with status " << status;

    auto store = Blockstore::open(blocks_dir);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    temp_leftovers += (*store)->temp_files_removed_at_open();
    auto report = verify_blocks(**store, dir.path() / "quarantine");
    ASSERT_TRUE(report.ok()) << report.error().to_string();
    EXPECT_TRUE(report->clean()) << "iteration " << iteration << ": " << report->quarantined_count
                                 << " corrupt block(s), first: "
                                 << (report->quarantined.empty()
                                         ? report->errors.front()
                                         : report->quarantined.front().reason);
    EXPECT_EQ(report->good_blocks, report->checked_blocks);
    EXPECT_EQ(count_files(blocks_dir / ".tmp"), 0u);
  }
  auto store = Blockstore::open(blocks_dir);
  ASSERT_TRUE(store.ok());
  size_t blocks = 0;
  ASSERT_TRUE((*store)
                  ->for_each([&](const Multihash&, uint64_t) -> Status {
                    ++blocks;
                    return {};
                  })
                  .ok());
  EXPECT_GT(blocks, 0u) << "the writers never stored a block: the test proved nothing";
  // Informational: how often a kill landed in the middle of a write.
  std::printf("%zu blocks survived %d kills; %zu temp files removed at open\n", blocks, kIterations,
              temp_leftovers);
}

// What a child reports after a write failure: the store must be as if the write never happened.
std::string check_failed_write(Blockstore& store, const Status& st, const Cid& cid,
                               std::string_view expected_reason) {
  if (st.ok()) return "the write succeeded";
  if (st.error().code != Errc::io) return "wrong code: " + st.error().to_string();
  std::string want = std::string(expected_reason) + " while writing block " + cid.to_string();
  if (st.error().message.find(want) == std::string::npos)
    return "message lacks '" + want + "': " + st.error().message;
  if (store.has(cid)) return "the failed block is visible";
  if (count_files(store.dir() / ".tmp") != 0) return "a temp file was left behind";
  return "";
}

TEST(BlockstoreFull, WriteFailureFromFileSizeLimitLeavesNothing) {
  TestDir dir;
  std::string result = run_in_child([&]() -> std::string {
    // Past RLIMIT_FSIZE write() fails with EFBIG once SIGXFSZ is ignored: a full disk without
    // privileges.
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {
      256 << 10, 256 << 10
    };
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return "setrlimit failed";
    auto store = Blockstore::open(dir.path() / "blocks");
    if (!store.ok()) return store.error().to_string();
    Bytes small = test_block(100 << 10, 1);
    Bytes big = test_block(1 << 20, 2);
    if (!(*store)->put(raw_cid(small), small).ok()) return "a small put failed";
    std::string why = check_failed_write(**store, (*store)->put(raw_cid(big), big), raw_cid(big),
                                         "file too large");
    if (!why.empty()) return "put: " + why;

    auto batch = (*store)->batch();
    Bytes small2 = test_block(50 << 10, 3);
    if (!batch.add(raw_cid(small2), small2).ok()) return "a small batch add failed";
    why = check_failed_write(**store, batch.add(raw_cid(big), big), raw_cid(big), "file too large");
    if (!why.empty() && why != "a temp file was left behind") return "batch: " + why;
    if (batch.pending() != 1) return "the failed add changed the pending blocks";
    if (!batch.commit().ok()) return "commit after a failed add failed";
    if (*(*store)->get(raw_cid(small2)) != small2) return "the committed block is wrong";
    if (*(*store)->get(raw_cid(small)) != small) return "the first block is wrong";
    if (count_files(dir.path() / "blocks" / ".tmp") != 0) return "temp files after commit";
    return "";
  });
  EXPECT_EQ(result, "");
}

// Mounts a 2 MiB tmpfs over `where` in a private mount namespace of this (child) process.
std::string mount_small_tmpfs(const fs::path& where) {
  if (::unshare(CLONE_NEWNS) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
    return std::string("SKIP: cannot create a mount namespace: ") + std::strerror(errno);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return std::string("SKIP: cannot make mounts private: ") + std::strerror(errno);
  if (::mount("agora-test", where.c_str(), "tmpfs", 0, "size=2m") != 0)
    return std::string("SKIP: cannot mount tmpfs: ") + std::strerror(errno);
  return "";
}

TEST(BlockstoreFull, NoSpaceLeftOnATinyTmpfs) {
  TestDir dir;
  std::string result = run_in_child([&]() -> std::string {
    if (std::string m = mount_small_tmpfs(dir.path()); !m.empty()) return m;
    auto opened = Blockstore::open(dir.path() / "blocks");
    if (!opened.ok()) return opened.error().to_string();
    Blockstore& store = **opened;
    std::vector<Bytes> stored;
    Status st;
    Bytes data;
    for (uint64_t i = 0; i < 100 && st.ok(); ++i) {
      data = test_block(300 << 10, i);
      st = store.put(raw_cid(data), data);
      if (st.ok()) stored.push_back(data);
    }
    if (stored.empty()) return "nothing fitted on the tmpfs";
    std::string why = check_failed_write(store, st, raw_cid(data), "no space left on device");
    if (!why.empty()) return "put: " + why;

    auto batch = store.batch();
    Status added;
    for (uint64_t i = 200; i < 300 && added.ok(); ++i) {
      data = test_block(64 << 10, i);
      added = batch.add(raw_cid(data), data);
    }
    if (added.ok()) return "the batch never filled the disk";
    why = check_failed_write(store, added, raw_cid(data), "no space left on device");
    if (!why.empty() && why != "a temp file was left behind") return "batch: " + why;
    batch.discard();
    if (count_files(dir.path() / "blocks" / ".tmp") != 0) return "temp files after discard";

    auto report = verify_blocks(store, dir.path() / "quarantine");
    if (!report.ok()) return "verify: " + report.error().to_string();
    if (!report->clean() || report->good_blocks != stored.size())
      return "verify found " + std::to_string(report->quarantined_count) + " bad of " +
             std::to_string(report->checked_blocks);
    // Room made, the store takes blocks again.
    if (!store.remove(raw_cid(stored[0])).ok() || !store.remove(raw_cid(stored[1])).ok())
      return "remove failed";
    Bytes again = test_block(300 << 10, 999);
    if (Status s = store.put(raw_cid(again), again); !s.ok())
      return "put after freeing space: " + s.error().to_string();
    for (size_t i = 2; i < stored.size(); ++i)
      if (*store.get(raw_cid(stored[i])) != stored[i]) return "a stored block changed";
    return "";
  });
  if (result.rfind("SKIP: ", 0) == 0) GTEST_SKIP() << result.substr(6);
  EXPECT_EQ(result, "");
}

}  // namespace
}  // namespace agora::store
