#include "node/dag_walk.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "codec/dag_pb.h"

namespace agora {
namespace {

struct Dag {
  std::map<Cid, Bytes> blocks;
  Cid leaf(const std::string& text) {
    Cid c = Cid::of(as_bytes(text));
    blocks[c] = to_bytes(text);
    return c;
  }
  Cid node(const std::vector<Cid>& children) {
    PbNode n;
    for (const Cid& c : children) n.links.push_back({c, "", blocks[c].size()});
    Bytes b = encode_dag_pb(n);
    Cid c = Cid::of(b, kCodecDagPb);
    blocks[c] = b;
    return c;
  }
};

TEST(DagWalk, VisitsEveryBlockDepthFirstWithinTheWindow) {
  Dag dag;
  Cid a = dag.node({dag.leaf("a1"), dag.leaf("a2")});
  Cid b = dag.node({dag.leaf("b1"), dag.leaf("b2"), dag.leaf("b3")});
  Cid root = dag.node({a, b});
  DagWalk walk(root, {.in_flight_max = 2});
  std::vector<Cid> order;
  while (!walk.done()) {
    auto reqs = walk.take_requests();
    ASSERT_FALSE(reqs.empty());
    EXPECT_LE(walk.in_flight(), 2u);
    for (const Cid& c : reqs) {
      order.push_back(c);
      ASSERT_TRUE(walk.on_block(c, dag.blocks[c]).ok());
    }
  }
  EXPECT_EQ(order.size(), dag.blocks.size());
  EXPECT_EQ(walk.blocks_done(), dag.blocks.size());
  EXPECT_EQ(order.front(), root);
  EXPECT_EQ(order[1], a);  // links in order
  EXPECT_EQ(order[2], b);
  EXPECT_EQ(std::set<Cid>(order.begin(), order.end()).size(), order.size());  // each once
}

TEST(DagWalk, BlocksOnlyRequestsTheBlocksInOrderAndNotTheirLinks) {
  Dag dag;
  Cid a = dag.node({dag.leaf("a1"), dag.leaf("a2")});
  Cid b = dag.node({dag.leaf("b1")});
  Cid c = dag.leaf("c");
  DagWalk walk = DagWalk::blocks_only({a, b, c, a}, {.in_flight_max = 2});
  std::vector<Cid> order;
  while (!walk.done()) {
    auto reqs = walk.take_requests();
    ASSERT_FALSE(reqs.empty());
    for (const Cid& x : reqs) {
      order.push_back(x);
      ASSERT_TRUE(walk.on_block(x, dag.blocks[x]).ok());
    }
  }
  EXPECT_EQ(order, (std::vector<Cid>{a, b, c}));  // a repeated block is asked once
  EXPECT_EQ(walk.pending_blocks(), 0u);
}

TEST(DagWalk, RefusesUnrequestedBlocksAndCorruptNodes) {
  Dag dag;
  Cid root = dag.node({dag.leaf("x")});
  DagWalk walk(root);
  EXPECT_FALSE(walk.on_block(Cid::of(as_bytes("x")), as_bytes("x")).ok());
  auto reqs = walk.take_requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_FALSE(walk.on_block(root, as_bytes("not dag-pb")).ok());
}

TEST(DagWalk, BoundsPendingBytes) {
  Dag dag;
  std::vector<Cid> leaves;
  for (int i = 0; i < 10; ++i) leaves.push_back(dag.leaf("l" + std::to_string(i)));
  Cid root = dag.node(leaves);
  DagWalk walk(root, {.in_flight_max = 4, .pending_bytes_max = dag.blocks[root].size() - 1});
  ASSERT_EQ(walk.take_requests().size(), 1u);
  EXPECT_EQ(walk.on_block(root, dag.blocks[root]).error().code, Errc::too_large);
}

// Before, every link of an arrived block became a pending CID at once: a node claiming a million
// children cost ~170 bytes per claim before any child was seen. Now the block itself is kept and
// read a window at a time.
TEST(DagWalk, AWideNodeCostsItsOwnBytesNotItsClaims) {
  Dag dag;
  std::vector<Cid> children;
  for (int i = 0; i < 20000; ++i) children.push_back(Cid::of(as_bytes("c" + std::to_string(i))));
  Cid root = dag.node(children);  // the children are never stored: all missing
  size_t root_bytes = dag.blocks[root].size();
  DagWalk walk(root, {.in_flight_max = 16});
  ASSERT_EQ(walk.take_requests().size(), 1u);
  ASSERT_TRUE(walk.on_block(root, dag.blocks[root]).ok());
  EXPECT_EQ(walk.pending_bytes(), root_bytes);
  EXPECT_EQ(walk.pending_blocks(), 1u);
  // The window is asked for, in link order, and no more.
  auto reqs = walk.take_requests();
  ASSERT_EQ(reqs.size(), 16u);
  EXPECT_EQ(reqs.front(), children.front());
  EXPECT_EQ(walk.in_flight(), 16u);
  // Answering them moves the window on; once the last link is asked for the block is dropped.
  size_t asked = 16;
  while (asked < children.size()) {
    for (const Cid& c : reqs) ASSERT_TRUE(walk.on_block(c, as_bytes("c")).ok());
    reqs = walk.take_requests();
    asked += reqs.size();
    ASSERT_LE(reqs.size(), 16u);
  }
  EXPECT_EQ(walk.pending_blocks(), 0u);
  EXPECT_EQ(walk.pending_bytes(), 0u);
}

TEST(DagWalk, RepeatedChildIsRequestedOnceAtATime) {
  Dag dag;
  Cid same = dag.leaf("same");
  Cid root = dag.node({same, same});
  DagWalk walk(root);
  ASSERT_TRUE(walk.on_block(walk.take_requests().at(0), dag.blocks[root]).ok());
  auto reqs = walk.take_requests();
  EXPECT_EQ(reqs.size(), 1u);
  ASSERT_TRUE(walk.on_block(same, dag.blocks[same]).ok());
  EXPECT_TRUE(walk.done());
}

// One block linked 1,000 times by a node linked 1,000 times: a million paths, three blocks. Each
// block is walked once, however often it is linked, also after it arrived (the fetch reads local
// blocks in a loop: re-walking repeated subtrees would stall it for 10^6 reads).
TEST(DagWalk, RepeatedSubtreesAreWalkedOnce) {
  Dag dag;
  Cid leaf = dag.leaf("repeated");
  Cid middle = dag.node(std::vector<Cid>(1000, leaf));
  Cid root = dag.node(std::vector<Cid>(1000, middle));
  DagWalk walk(root, {.in_flight_max = 4});
  size_t delivered = 0;
  while (!walk.done()) {
    auto reqs = walk.take_requests();
    ASSERT_FALSE(reqs.empty());
    for (const Cid& c : reqs) {
      ++delivered;
      ASSERT_TRUE(walk.on_block(c, dag.blocks[c]).ok());
    }
  }
  EXPECT_EQ(delivered, 3u);
}

// The set of walked blocks is bounded: past walked_max it starts afresh, which costs a repeated
// subtree another walk but never a wrong or unfinished one.
TEST(DagWalk, WalkedBlocksAreBoundedAndForgettingThemStaysCorrect) {
  Dag dag;
  Cid a = dag.node({dag.leaf("a1"), dag.leaf("a2")});
  Cid b = dag.node({dag.leaf("b1"), a});
  Cid root = dag.node({a, b, a, b});
  DagWalk walk(root, {.in_flight_max = 1, .walked_max = 2});
  std::set<Cid> delivered;
  for (int steps = 0; !walk.done(); ++steps) {
    ASSERT_LT(steps, 1000);
    for (const Cid& c : walk.take_requests()) {
      delivered.insert(c);
      ASSERT_TRUE(walk.on_block(c, dag.blocks[c]).ok());
      EXPECT_LE(walk.walked(), 2u);
    }
  }
  EXPECT_EQ(delivered.size(), dag.blocks.size());  // every block reached
}

}  // namespace
}  // namespace agora
