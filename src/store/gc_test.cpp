#include "store/gc.h"

#include <gtest/gtest.h>

#include <thread>

#include "store/test_blocks.h"
#include "store/test_dag.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

// A blockstore and pin store in a temp repo, and helpers to store nodes.
struct GcRepo {
  TestDir dir;
  std::unique_ptr<Blockstore> blocks;
  std::unique_ptr<PinStore> pins;

  GcRepo() {
    auto b = Blockstore::open(dir.path() / "blocks", {.fsync = false});
    EXPECT_TRUE(b.ok());
    if (b.ok()) blocks = std::move(b).value();
    auto p = PinStore::open(dir.path() / "agora.db");
    EXPECT_TRUE(p.ok());
    if (p.ok()) pins = std::move(p).value();
  }
  Cid leaf(uint64_t seed, bool store = true) {
    Bytes data = test_block(100 + seed, seed);
    Cid cid = raw_cid(data);
    if (store) {
      EXPECT_TRUE(blocks->put(cid, data).ok());
    }
    return cid;
  }
  Cid node(const std::vector<Cid>& links, std::string_view label, int version = 1) {
    Bytes data = dag_pb_node(links, label);
    Cid cid = Cid::of(data, kCodecDagPb, version);
    EXPECT_TRUE(blocks->put(cid, data).ok());
    return cid;
  }
};

TEST(Gc, KeepsPinnedDagsAndRemovesTheRest) {
  GcRepo repo;
  ASSERT_TRUE(repo.blocks && repo.pins);
  // Recursive pin: root(v0) -> {mid -> {l1, l2}, l3}.
  Cid l1 = repo.leaf(1), l2 = repo.leaf(2), l3 = repo.leaf(3);
  Cid mid = repo.node({l1, l2}, "mid");
  Cid root = repo.node({mid, l3}, "root", 0);
  ASSERT_TRUE(repo.pins->add(root, PinType::recursive, "site").ok());
  // Direct pin: only the node itself stays, not its child.
  Cid l4 = repo.leaf(4);
  Cid direct = repo.node({l4}, "direct");
  ASSERT_TRUE(repo.pins->add(direct, PinType::direct).ok());
  // Unpinned parent sharing l1 with the pinned DAG: it goes, l1 stays.
  Cid loose_parent = repo.node({l1}, "loose");
  std::vector<Cid> loose;
  for (uint64_t i = 10; i < 15; ++i) loose.push_back(repo.leaf(i));
  // A recursive pin whose DAG is incomplete: l5 was never stored.
  Cid l5 = repo.leaf(5, false);
  Cid partial = repo.node({l5, l3}, "partial");
  ASSERT_TRUE(repo.pins->add(partial, PinType::recursive).ok());

  uint64_t loose_bytes = *repo.blocks->size(loose_parent) + *repo.blocks->size(l4);
  for (const Cid& c : loose) loose_bytes += *repo.blocks->size(c);

  auto report = collect_garbage(*repo.blocks, *repo.pins, dag_pb_links);
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(report->removed_blocks, 7u);  // 5 loose leaves, loose parent, l4
  EXPECT_EQ(report->removed_bytes, loose_bytes);
  EXPECT_EQ(report->kept_blocks, 7u);  // root, mid, l1, l2, l3, direct, partial
  EXPECT_EQ(report->missing_count, 1u);
  ASSERT_EQ(report->missing.size(), 1u);
  EXPECT_EQ(report->missing[0], l5);
  EXPECT_EQ(report->remove_error_count, 0u);

  for (const Cid& c : {root, mid, l1, l2, l3, direct, partial}) EXPECT_TRUE(repo.blocks->has(c));
  for (const Cid& c : loose) EXPECT_FALSE(repo.blocks->has(c));
  EXPECT_FALSE(repo.blocks->has(loose_parent));
  EXPECT_FALSE(repo.blocks->has(l4));

  // A second run finds nothing more to do.
  auto again = collect_garbage(*repo.blocks, *repo.pins, dag_pb_links);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->removed_blocks, 0u);
  EXPECT_EQ(again->kept_blocks, 7u);

  // Unpinning releases the DAG.
  ASSERT_TRUE(repo.pins->remove(root).ok());
  ASSERT_TRUE(repo.pins->remove(partial).ok());
  ASSERT_TRUE(repo.pins->remove(direct).ok());
  auto all = collect_garbage(*repo.blocks, *repo.pins, dag_pb_links);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->removed_blocks, 7u);
  EXPECT_EQ(all->kept_blocks, 0u);
}

TEST(Gc, StopsBeforeRemovingAnythingWhenAPinnedBlockCannotBeDecoded) {
  GcRepo repo;
  ASSERT_TRUE(repo.blocks && repo.pins);
  Cid child = repo.leaf(1);
  Bytes garbage = {0x0a, 0xff};  // a length running past the end: not protobuf
  Cid bad = Cid::of(garbage, kCodecDagPb);
  ASSERT_TRUE(repo.blocks->put(bad, garbage).ok());
  ASSERT_TRUE(repo.pins->add(bad, PinType::recursive).ok());
  Cid loose = repo.leaf(2);
  auto report = collect_garbage(*repo.blocks, *repo.pins, dag_pb_links);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Errc::invalid_input);
  EXPECT_NE(report.error().message.find(bad.to_string()), std::string::npos);
  EXPECT_TRUE(repo.blocks->has(child));
  EXPECT_TRUE(repo.blocks->has(loose));
}

TEST(Gc, WaitsForWritersHoldingOffGc) {
  GcRepo repo;
  ASSERT_TRUE(repo.blocks && repo.pins);
  Cid fresh = repo.leaf(1);
  std::atomic<bool> done{false};
  std::thread gc;
  {
    auto hold = repo.blocks->hold_off_gc();
    gc = std::thread([&] {
      auto r = collect_garbage(*repo.blocks, *repo.pins, dag_pb_links);
      EXPECT_TRUE(r.ok());
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_FALSE(done.load());
    // The writer pins its block before letting GC run.
    ASSERT_TRUE(repo.pins->add(fresh, PinType::direct).ok());
  }
  gc.join();
  EXPECT_TRUE(done.load());
  EXPECT_TRUE(repo.blocks->has(fresh));
}

TEST(Gc, FindsTheRecursivePinHoldingABlock) {
  GcRepo repo;
  ASSERT_TRUE(repo.blocks && repo.pins);
  Cid l1 = repo.leaf(1), l2 = repo.leaf(2);
  Cid mid = repo.node({l1}, "mid");
  Cid root = repo.node({mid}, "root");
  Cid other = repo.node({l2}, "other");
  ASSERT_TRUE(repo.pins->add(other, PinType::recursive).ok());
  ASSERT_TRUE(repo.pins->add(root, PinType::recursive).ok());
  Status rm = repo.pins->remove(l1);
  ASSERT_FALSE(rm.ok());
  EXPECT_EQ(rm.error().code, Errc::not_found);
  auto holder = find_indirect_pin_root(*repo.blocks, *repo.pins, dag_pb_links, l1);
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE(holder->has_value());
  EXPECT_EQ(**holder, root);
  auto none = find_indirect_pin_root(*repo.blocks, *repo.pins, dag_pb_links, repo.leaf(3));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  Status explained = unpin(*repo.pins, *repo.blocks, dag_pb_links, l1);
  ASSERT_FALSE(explained.ok());
  EXPECT_EQ(explained.error().message,
            l1.to_string() + " is pinned indirectly under " + root.to_string());
  Status plain = unpin(*repo.pins, *repo.blocks, dag_pb_links, repo.leaf(3));
  EXPECT_EQ(plain.error().code, Errc::not_found);
  EXPECT_TRUE(unpin(*repo.pins, *repo.blocks, dag_pb_links, root).ok());
  EXPECT_EQ(unpin(*repo.pins, *repo.blocks, dag_pb_links, l1).error().code, Errc::not_found);
}

}  // namespace
}  // namespace agora::store
