// Node identities and the adversary's answers.
#include "runtime/sim/population.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "runtime/sim/adversary.h"
#include "runtime/sim/identity.h"

namespace agora::sim {
namespace {

kad::Key random_key(Prng& rng) {
  kad::Key k;
  for (size_t i = 0; i < 32; i += 8) put_u64_be(k.bytes.data() + i, rng.next_u64());
  return k;
}

TEST(Population, IdsKeysAndIndexesAgree) {
  Population p(500, Prng(1));
  ASSERT_EQ(p.size(), 500u);
  for (NodeIndex i = 0; i < 500; i += 37) {
    EXPECT_EQ(p.index_of(p.id(i)), i);
    EXPECT_EQ(p.key(i), kad::Key::of(p.id(i)));
    kad::PeerInfo info = p.info(i);
    EXPECT_EQ(info.id, p.id(i));
    ASSERT_EQ(info.addrs.size(), 1u);
  }
  Prng other(99);
  EXPECT_FALSE(p.index_of(make_peer_id(other)).has_value());
  const auto& sorted = p.sorted_by_key();
  ASSERT_EQ(sorted.size(), 500u);
  for (size_t i = 1; i < sorted.size(); ++i) EXPECT_LT(p.key(sorted[i - 1]), p.key(sorted[i]));
}

TEST(Population, ClosestMatchesBruteForceWithAFilter) {
  Population p(2000, Prng(2));
  Prng rng(3);
  for (int trial = 0; trial < 200; ++trial) {
    const kad::Key target = random_key(rng);
    auto keep = [](NodeIndex i) { return i % 3 != 0; };
    std::optional<NodeIndex> want;
    for (NodeIndex i = 0; i < p.size(); ++i) {
      if (!keep(i)) continue;
      if (!want || kad::distance(p.key(i), target) < kad::distance(p.key(*want), target)) want = i;
    }
    EXPECT_EQ(p.closest(target, keep), want);
  }
  EXPECT_FALSE(p.closest(random_key(rng), [](NodeIndex) { return false; }).has_value());
}

TEST(Population, NearStartsWithTheClosest) {
  Population p(2000, Prng(4));
  Prng rng(5);
  for (int trial = 0; trial < 100; ++trial) {
    const kad::Key target = random_key(rng);
    auto near = p.near(target, p.sorted_by_key(), 20);
    ASSERT_EQ(near.size(), 20u);
    EXPECT_EQ(near.front(), p.closest(target, [](NodeIndex) { return true; }));
    for (size_t i = 1; i < near.size(); ++i) {
      EXPECT_LT(kad::distance(p.key(near[i - 1]), target), kad::distance(p.key(near[i]), target));
    }
  }
}

TEST(Population, BucketSampleFillsEachBucketFromItsKeyRange) {
  Population p(5000, Prng(10));
  Prng rng(11);
  const NodeIndex self = 17;
  auto sample = p.bucket_sample(self, 20, rng);
  std::vector<size_t> per_bucket(257, 0), available(257, 0);
  for (NodeIndex i = 0; i < p.size(); ++i) {
    if (i != self) ++available[size_t(kad::common_prefix_length(p.key(self), p.key(i)))];
  }
  std::set<NodeIndex> distinct(sample.begin(), sample.end());
  EXPECT_EQ(distinct.size(), sample.size());
  EXPECT_EQ(distinct.count(self), 0u);
  for (NodeIndex i : sample) ++per_bucket[size_t(kad::common_prefix_length(p.key(self), p.key(i)))];
  for (size_t b = 0; b < 257; ++b)
    EXPECT_EQ(per_bucket[b], std::min<size_t>(20, available[b])) << b;
  // The closest node is always in: its bucket is the deepest, where few candidates exist.
  auto closest = p.closest(p.key(self), [&](NodeIndex i) { return i != self; });
  EXPECT_EQ(distinct.count(*closest), 1u);
}

kad::Message find_node_for(const Population& p, NodeIndex target) {
  kad::Message m;
  m.type = kad::MessageType::find_node;
  m.key = p.id(target).bytes();
  return m;
}

TEST(Adversary, EmptyAnswersCarryNoPeers) {
  Population p(100, Prng(6));
  Adversary a(AdversaryKind::empty, p, {1, 2, 3}, 20);
  Prng rng(1);
  kad::Message request = find_node_for(p, 50);
  kad::Message answer = a.answer(1, request, rng);
  EXPECT_EQ(answer.type, kad::MessageType::find_node);
  EXPECT_EQ(answer.key, request.key);
  EXPECT_TRUE(answer.closer_peers.empty());
  EXPECT_FALSE(answer.record.has_value());
  EXPECT_TRUE(answer.provider_peers.empty());
}

TEST(Adversary, RandomAnswersAreDistinctRealPeersNotItself) {
  Population p(100, Prng(7));
  Adversary a(AdversaryKind::random, p, {1}, 20);
  Prng rng(2);
  kad::Message answer = a.answer(1, find_node_for(p, 50), rng);
  ASSERT_EQ(answer.closer_peers.size(), 20u);
  std::set<PeerId> seen;
  for (const auto& peer : answer.closer_peers) {
    auto index = p.index_of(peer.id);
    ASSERT_TRUE(index.has_value());
    EXPECT_NE(*index, 1u);
    EXPECT_EQ(peer.addrs, p.info(*index).addrs);
    seen.insert(peer.id);
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(Adversary, FarAnswersLieInTheOtherHalfOfTheKeyspace) {
  Population p(1000, Prng(8));
  Adversary a(AdversaryKind::far, p, {1}, 20);
  Prng rng(3);
  kad::Message request = find_node_for(p, 500);
  const kad::Key target = kad::Key::from_bytes(request.key);
  kad::Message answer = a.answer(1, request, rng);
  ASSERT_EQ(answer.closer_peers.size(), 20u);
  for (const auto& peer : answer.closer_peers) {
    EXPECT_EQ(kad::common_prefix_length(kad::Key::of(peer.id), target), 0);
  }
}

TEST(Adversary, ColludersAnswerWithTheMembersClosestToTheKey) {
  Population p(1000, Prng(9));
  std::vector<NodeIndex> members;
  for (NodeIndex i = 0; i < 1000; i += 5) members.push_back(i);
  Adversary a(AdversaryKind::colluding, p, members, 20);
  Prng rng(4);
  kad::Message request = find_node_for(p, 501);
  const kad::Key target = kad::Key::from_bytes(request.key);
  kad::Message answer = a.answer(0, request, rng);
  ASSERT_EQ(answer.closer_peers.size(), 20u);
  auto closest_member = p.closest(target, [](NodeIndex i) { return i % 5 == 0 && i != 0; });
  EXPECT_EQ(answer.closer_peers.front().id, p.id(*closest_member));
  for (const auto& peer : answer.closer_peers) {
    auto index = p.index_of(peer.id);
    ASSERT_TRUE(index.has_value());
    EXPECT_EQ(*index % 5, 0u);
    EXPECT_NE(*index, 0u);
  }
}

}  // namespace
}  // namespace agora::sim
