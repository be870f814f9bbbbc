#include "proto/xfer/download.h"

#include <gtest/gtest.h>

namespace agora::xfer {
namespace {

constexpr uint64_t kLeaf = 1 << 20;

std::vector<uint64_t> indices(const std::vector<LeafRange>& ranges) {
  std::vector<uint64_t> out;
  for (const LeafRange& r : ranges)
    for (uint64_t i = r.first; i < r.first + r.count; ++i) out.push_back(i);
  return out;
}

DownloadConfig small_pipeline() {
  DownloadConfig c;
  c.pipeline_bytes_min = 4 * kLeaf;
  c.pipeline_bytes_max = 4 * kLeaf;
  return c;
}

TEST(XferDownload, OnePeerGetsEveryLeafOnceThroughItsPipeline) {
  Download d(std::vector<uint64_t>(20, kLeaf), small_pipeline());
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  d.peer_has_all(1);
  std::vector<uint64_t> got;
  while (!d.done()) {
    PeerWants w = d.take(1, now);
    auto asked = indices(w.want);
    EXPECT_LE(d.in_flight(1), 4u);
    for (uint64_t i : asked) {
      EXPECT_TRUE(d.on_leaf(1, i, now));
      got.push_back(i);
    }
    ASSERT_FALSE(asked.empty() && d.in_flight(1) == 0 && !d.done() && got.size() > 100);
  }
  std::sort(got.begin(), got.end());
  ASSERT_EQ(got.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(got[i], i);
}

TEST(XferDownload, LeavesNotAskedOrFromTheWrongPeerAreRefused) {
  Download d(std::vector<uint64_t>(8, kLeaf), small_pipeline());
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  ASSERT_TRUE(d.add_peer(2, now));
  d.peer_has_all(1);
  auto asked = indices(d.take(1, now).want);
  ASSERT_FALSE(asked.empty());
  EXPECT_FALSE(d.on_leaf(2, asked[0], now));
  EXPECT_FALSE(d.on_leaf(1, 7, now));
  EXPECT_FALSE(d.on_leaf(1, 1000, now));
  EXPECT_TRUE(d.on_leaf(1, asked[0], now));
  EXPECT_FALSE(d.on_leaf(1, asked[0], now));  // answered already
}

TEST(XferDownload, RarestLeavesAreAskedFirst) {
  Download d(std::vector<uint64_t>(8, kLeaf), small_pipeline());
  Instant now{};
  for (PeerKey p : {1, 2, 3}) ASSERT_TRUE(d.add_peer(p, now));
  d.peer_has(1, HaveBits{0, {0xff}});  // all 8
  d.peer_has(2, HaveBits{0, {0x0f}});  // 0-3
  d.peer_has(3, HaveBits{0, {0x0f}});
  // Leaves 4-7 are held by peer 1 only: it is asked for those first.
  auto asked = indices(d.take(1, now).want);
  EXPECT_EQ(asked, (std::vector<uint64_t>{4, 5, 6, 7}));
  EXPECT_EQ(d.unavailable(), 0u);
}

TEST(XferDownload, APeerThatLeavesOrLacksLeavesHandsThemBack) {
  Download d(std::vector<uint64_t>(8, kLeaf), small_pipeline());
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  ASSERT_TRUE(d.add_peer(2, now));
  d.peer_has_all(1);
  d.peer_has_all(2);
  auto first = indices(d.take(1, now).want);
  ASSERT_EQ(first.size(), 4u);
  d.on_missing(1, {{first[0], 1}});
  d.remove_peer(1);
  std::vector<uint64_t> got;
  while (!d.done()) {
    auto asked = indices(d.take(2, now).want);
    ASSERT_FALSE(asked.empty());
    for (uint64_t i : asked) ASSERT_TRUE(d.on_leaf(2, i, now));
  }
}

TEST(XferDownload, LeavesNobodyHoldsAreReportedUnavailable) {
  Download d(std::vector<uint64_t>(16, kLeaf), small_pipeline());
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  d.peer_has(1, HaveBits{0, {0xff}});
  EXPECT_EQ(d.unavailable(), 8u);
}

TEST(XferDownload, EndgameAsksAgainElsewhereAndCancelsTheLoser) {
  Download d(std::vector<uint64_t>(4, kLeaf), small_pipeline());
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  ASSERT_TRUE(d.add_peer(2, now));
  d.peer_has_all(1);
  d.peer_has_all(2);
  auto slow = indices(d.take(1, now).want);
  ASSERT_EQ(slow.size(), 4u);  // every leaf asked of peer 1
  auto copies = indices(d.take(2, now).want);
  EXPECT_EQ(copies, slow);  // endgame: peer 2 is asked too
  for (uint64_t i : copies) ASSERT_TRUE(d.on_leaf(2, i, now));
  EXPECT_TRUE(d.done());
  EXPECT_EQ(indices(d.take(1, now).cancel), slow);
  // Peer 1 had sent some before the CANCEL reached it: late, accepted once, not a lie.
  EXPECT_FALSE(d.is_asked(1, slow[0]));
  EXPECT_TRUE(d.take_late(1, slow[0]));
  EXPECT_FALSE(d.take_late(1, slow[0]));
  EXPECT_FALSE(d.take_late(2, slow[1]));
}

TEST(XferDownload, StoredLeavesAreNeverAsked) {
  std::vector<bool> have(10, true);
  have[3] = false;
  Download d(std::vector<uint64_t>(10, kLeaf), small_pipeline(), have);
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  d.peer_has_all(1);
  EXPECT_EQ(indices(d.take(1, now).want), (std::vector<uint64_t>{3}));
}

TEST(XferDownload, SequentialModeAsksInFileOrder) {
  DownloadConfig c = small_pipeline();
  c.sequential = true;
  c.start_leaf = 5;  // ignored in sequential mode
  Download d(std::vector<uint64_t>(10, kLeaf), c);
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  d.peer_has_all(1);
  EXPECT_EQ(indices(d.take(1, now).want), (std::vector<uint64_t>{0, 1, 2, 3}));
}

TEST(XferDownload, ThePipelineGrowsWithTheMeasuredRate) {
  DownloadConfig c;
  c.pipeline_bytes_min = 2 * kLeaf;
  c.pipeline_bytes_max = 64 * kLeaf;
  c.pipeline_window = std::chrono::milliseconds(1000);
  Download d(std::vector<uint64_t>(1000, kLeaf), c);
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  d.peer_has_all(1);
  auto outstanding = indices(d.take(1, now).want);
  EXPECT_EQ(outstanding.size(), 2u);
  size_t most = 0;
  // Everything asked arrives 25 ms later, for a second: the pipeline grows past its minimum.
  for (int step = 0; step < 40; ++step) {
    now += std::chrono::milliseconds(25);
    for (uint64_t i : outstanding) ASSERT_TRUE(d.on_leaf(1, i, now));
    outstanding = indices(d.take(1, now).want);
    most = std::max(most, outstanding.size());
  }
  EXPECT_GT(most, 8u);
  EXPECT_LE(most, 64u);  // pipeline_bytes_max
}

TEST(XferDownload, PeersAreBounded) {
  DownloadConfig c;
  c.peers_max = 2;
  Download d(std::vector<uint64_t>(4, kLeaf), c);
  Instant now{};
  ASSERT_TRUE(d.add_peer(1, now));
  ASSERT_TRUE(d.add_peer(2, now));
  EXPECT_EQ(d.add_peer(3, now).error().code, Errc::limit);
}

}  // namespace
}  // namespace agora::xfer
