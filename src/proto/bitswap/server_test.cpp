#include "proto/bitswap/server.h"

#include <gtest/gtest.h>

#include "proto/bitswap/test_util.h"

namespace agora::bitswap {
namespace {

using namespace test;

const Instant t0{};

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : server(config(), blocks) {}
  static ServerConfig config() { return {}; }
  MemoryBlocks blocks;
  Server server;
  PeerId a = peer(1), b = peer(2);
};

TEST_F(ServerTest, WantBlockGetsTheBlock) {
  Cid cid = blocks.put("block one", 5000);
  ASSERT_TRUE(server.on_message(a, wants({want_block(cid)}), t0).ok());
  auto task = server.poll_task(t0);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->peer, a);
  EXPECT_EQ(task->blocks, std::vector<Cid>{cid});
  EXPECT_TRUE(task->presences.empty());
  EXPECT_EQ(task->block_bytes, 5000u);
  EXPECT_EQ(server.ledger(a)->size(), 0u);  // answered wants leave the ledger
  EXPECT_FALSE(server.poll_task(t0));
}

TEST_F(ServerTest, WantHaveGetsHaveOrATinyBlock) {
  Cid big = blocks.put("big", 1025);
  Cid tiny = blocks.put("tiny", 1024);
  ASSERT_TRUE(server.on_message(a, wants({want_have(big), want_have(tiny)}), t0).ok());
  auto task = server.poll_task(t0);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->presences, (std::vector<Presence>{{big, PresenceType::have}}));
  EXPECT_EQ(task->blocks, std::vector<Cid>{tiny});  // as Helia: small blocks instead of HAVE
}

TEST_F(ServerTest, DontHaveOnlyWhenAskedFor) {
  Cid x = cid_of("x"), y = cid_of("y"), z = cid_of("z");
  ASSERT_TRUE(
      server.on_message(a, wants({want_block(x, true), want_have(y, true), want_have(z)}), t0)
          .ok());
  auto task = server.poll_task(t0);
  ASSERT_TRUE(task);
  EXPECT_TRUE(task->blocks.empty());
  EXPECT_EQ(task->presences,
            (std::vector<Presence>{{x, PresenceType::dont_have}, {y, PresenceType::dont_have}}));
  EXPECT_FALSE(server.poll_task(t0));
  EXPECT_EQ(server.ledger(a)->size(), 3u);  // kept, waiting for the blocks
  EXPECT_EQ(server.ledger(a)->queued_count(), 0u);
}

TEST_F(ServerTest, NothingToSayMeansNoTask) {
  ASSERT_TRUE(server.on_message(a, wants({want_block(cid_of("x"))}), t0).ok());
  EXPECT_FALSE(server.poll_task(t0));
}

TEST_F(ServerTest, BlockAddedLaterIsSentToEveryoneWaiting) {
  Cid cid = cid_of("late");
  ASSERT_TRUE(server.on_message(a, wants({want_block(cid, true)}), t0).ok());
  ASSERT_TRUE(server.on_message(b, wants({want_have(cid)}), t0).ok());
  ASSERT_TRUE(server.poll_task(t0));  // DONT_HAVE to a
  EXPECT_FALSE(server.poll_task(t0));
  blocks.put("late");
  server.on_block_added(cid);
  auto first = server.poll_task(t0);
  auto second = server.poll_task(t0);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->peer, second->peer);
  EXPECT_TRUE(first->peer == a || first->peer == b);
  EXPECT_TRUE(second->peer == a || second->peer == b);
  EXPECT_EQ(first->blocks, std::vector<Cid>{cid});
  EXPECT_EQ(second->blocks, std::vector<Cid>{cid});  // b: 4 bytes go inline instead of HAVE
  EXPECT_FALSE(server.poll_task(t0));
}

TEST_F(ServerTest, DontHaveIsSentOncePerRequest) {
  Cid cid = cid_of("x");
  ASSERT_TRUE(server.on_message(a, wants({want_have(cid, true)}), t0).ok());
  ASSERT_TRUE(server.poll_task(t0));
  server.on_block_added(cid_of("other"));
  ASSERT_TRUE(server.on_message(a, wants({}), t0).ok());
  EXPECT_FALSE(server.poll_task(t0));
  ASSERT_TRUE(server.on_message(a, wants({want_have(cid, true)}), t0).ok());  // asked again
  auto again = server.poll_task(t0);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->presences, (std::vector<Presence>{{cid, PresenceType::dont_have}}));
}

TEST_F(ServerTest, CancelRemovesTheWant) {
  Cid cid = blocks.put("x");
  ASSERT_TRUE(server.on_message(a, wants({want_block(cid)}), t0).ok());
  ASSERT_TRUE(server.on_message(a, wants({cancel_entry(cid)}), t0).ok());
  EXPECT_FALSE(server.poll_task(t0));
  EXPECT_EQ(server.ledger(a)->size(), 0u);
}

TEST_F(ServerTest, FullWantlistReplacesTheOldOne) {
  Cid x = cid_of("x"), y = cid_of("y"), z = blocks.put("z");
  ASSERT_TRUE(server.on_message(a, wants({want_block(x), want_block(y)}), t0).ok());
  EXPECT_FALSE(server.poll_task(t0));
  EXPECT_EQ(server.ledger(a)->size(), 2u);
  ASSERT_TRUE(server.on_message(a, wants({want_block(z)}, true), t0).ok());
  EXPECT_EQ(server.ledger(a)->size(), 1u);
  EXPECT_FALSE(server.ledger(a)->find(x));
  auto task = server.poll_task(t0);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->blocks, std::vector<Cid>{z});
}

TEST_F(ServerTest, WantHaveNeverDowngradesAWantBlock) {
  Cid cid = blocks.put("big", 4000);
  ASSERT_TRUE(server.on_message(a, wants({want_block(cid)}), t0).ok());
  ASSERT_TRUE(server.on_message(a, wants({want_have(cid)}), t0).ok());
  auto task = server.poll_task(t0);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->blocks, std::vector<Cid>{cid});
}

TEST_F(ServerTest, HigherPriorityFirst) {
  ServerConfig cfg;
  cfg.task_items_max = 1;
  Server s(cfg, blocks);
  Cid low = blocks.put("low"), high = blocks.put("high"), mid = blocks.put("mid");
  ASSERT_TRUE(s.on_message(a,
                           wants({want_block(low, false, 1), want_block(high, false, 9),
                                  want_block(mid, false, 5)}),
                           t0)
                  .ok());
  std::vector<Cid> order;
  while (auto task = s.poll_task(t0)) {
    order.insert(order.end(), task->blocks.begin(), task->blocks.end());
    s.task_done(task->id);
  }
  EXPECT_EQ(order, (std::vector<Cid>{high, mid, low}));
}

TEST_F(ServerTest, PeersTakeTurns) {
  ServerConfig cfg;
  cfg.task_block_bytes_max = 100 * 1024;
  Server s(cfg, blocks);
  std::vector<WantEntry> wa, wb;
  for (int i = 0; i < 5; ++i) {
    wa.push_back(want_block(blocks.put("a" + std::to_string(i), 100 * 1024)));
    wb.push_back(want_block(blocks.put("b" + std::to_string(i), 100 * 1024)));
  }
  ASSERT_TRUE(s.on_message(a, wants(wa), t0).ok());
  ASSERT_TRUE(s.on_message(b, wants(wb), t0).ok());
  std::vector<PeerId> turns;
  while (auto task = s.poll_task(t0)) {
    EXPECT_EQ(task->blocks.size(), 1u);  // one 100 KiB block per task
    turns.push_back(task->peer);
    s.task_done(task->id);
  }
  ASSERT_EQ(turns.size(), 10u);
  for (size_t i = 0; i < turns.size(); ++i) EXPECT_EQ(turns[i], i % 2 == 0 ? a : b) << i;
}

TEST_F(ServerTest, InFlightTasksAreBoundedPerPeer) {
  ServerConfig cfg;
  cfg.task_items_max = 1;
  cfg.peer_tasks_in_flight_max = 2;
  Server s(cfg, blocks);
  std::vector<WantEntry> w;
  for (int i = 0; i < 5; ++i) w.push_back(want_block(blocks.put(std::to_string(i))));
  ASSERT_TRUE(s.on_message(a, wants(w), t0).ok());
  auto t1 = s.poll_task(t0);
  auto t2 = s.poll_task(t0);
  ASSERT_TRUE(t1 && t2);
  EXPECT_FALSE(s.poll_task(t0));  // two in flight: a waits
  s.task_done(t1->id);
  auto t3 = s.poll_task(t0);
  ASSERT_TRUE(t3);
  EXPECT_FALSE(s.poll_task(t0));
  EXPECT_EQ(s.ledger(a)->queued_count(), 2u);
}

TEST_F(ServerTest, InFlightBytesAreBoundedPerPeer) {
  ServerConfig cfg;
  cfg.task_block_bytes_max = 1024 * 1024;
  cfg.peer_in_flight_bytes_max = 2 * 1024 * 1024;
  cfg.peer_tasks_in_flight_max = 100;
  Server s(cfg, blocks);
  std::vector<WantEntry> w;
  for (int i = 0; i < 8; ++i) w.push_back(want_block(blocks.put(std::to_string(i), 1024 * 1024)));
  ASSERT_TRUE(s.on_message(a, wants(w), t0).ok());
  std::vector<SendTask> tasks;
  while (auto task = s.poll_task(t0)) tasks.push_back(*task);
  EXPECT_EQ(tasks.size(), 2u);  // the second crosses 2 MiB
  EXPECT_GE(s.in_flight_bytes(a), 2u * 1024 * 1024);
  for (const SendTask& t : tasks) s.task_done(t.id);
  EXPECT_EQ(s.in_flight_bytes(a), 0u);
  EXPECT_TRUE(s.poll_task(t0));
}

TEST_F(ServerTest, LedgerIsBoundedAndEvictsWantsWeLack) {
  ServerConfig cfg;
  cfg.peer_wants_max = 4;
  Server s(cfg, blocks);
  std::vector<WantEntry> lacking;
  for (int i = 0; i < 10; ++i) lacking.push_back(want_block(cid_of("missing" + std::to_string(i))));
  ASSERT_TRUE(s.on_message(a, wants(lacking), t0).ok());
  EXPECT_EQ(s.ledger(a)->size(), 4u);
  EXPECT_EQ(s.stats().wants_dropped, 6u);  // all four were queued: nothing to evict
  EXPECT_FALSE(s.poll_task(t0));           // now they wait: evictable
  Cid have = blocks.put("have");
  ASSERT_TRUE(s.on_message(a, wants({want_block(have)}), t0).ok());
  EXPECT_EQ(s.ledger(a)->size(), 4u);
  EXPECT_EQ(s.stats().wants_evicted, 1u);
  EXPECT_FALSE(s.ledger(a)->find(lacking[0].cid));  // the oldest waiting want went
  auto task = s.poll_task(t0);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->blocks, std::vector<Cid>{have});
}

TEST_F(ServerTest, PeersAreBounded) {
  ServerConfig cfg;
  cfg.peers_max = 2;
  Server s(cfg, blocks);
  Cid cid = cid_of("x");
  EXPECT_TRUE(s.on_message(a, wants({want_block(cid)}), t0).ok());
  EXPECT_TRUE(s.on_message(b, wants({want_block(cid)}), t0).ok());
  auto refused = s.on_message(peer(3), wants({want_block(cid)}), t0);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::limit);
  EXPECT_EQ(s.peer_count(), 2u);
  s.on_peer_disconnected(a);
  EXPECT_TRUE(s.on_message(peer(3), wants({want_block(cid)}), t0).ok());
}

TEST_F(ServerTest, DisconnectForgetsThePeer) {
  Cid cid = blocks.put("x");
  ASSERT_TRUE(server.on_message(a, wants({want_block(cid), want_block(blocks.put("y"))}), t0).ok());
  auto task = server.poll_task(t0);
  ASSERT_TRUE(task);
  server.on_peer_disconnected(a);
  EXPECT_EQ(server.peer_count(), 0u);
  EXPECT_FALSE(server.poll_task(t0));
  server.task_done(task->id);  // late completion of a forgotten task is harmless
  ASSERT_TRUE(server.on_message(a, wants({want_block(cid)}), t0).ok());
  EXPECT_EQ(server.in_flight_bytes(a), 0u);
  EXPECT_TRUE(server.poll_task(t0));
}

TEST_F(ServerTest, TaskBudgetSplitsLargeAnswers) {
  ServerConfig cfg;
  cfg.task_block_bytes_max = 3000;
  Server s(cfg, blocks);
  std::vector<WantEntry> w;
  for (int i = 0; i < 5; ++i) w.push_back(want_block(blocks.put(std::to_string(i), 1000)));
  w.push_back(want_block(blocks.put("huge", 5000)));
  ASSERT_TRUE(s.on_message(a, wants(w), t0).ok());
  std::vector<size_t> sizes;
  while (auto task = s.poll_task(t0)) {
    sizes.push_back(task->block_bytes);
    s.task_done(task->id);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{3000, 2000, 5000}));  // a lone big block still goes
}

}  // namespace
}  // namespace agora::bitswap
