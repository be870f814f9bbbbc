#include "proto/kad/routing_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

using test::info;
using test::kT0;

// Random peers grouped by their CPL with `self`.
std::map<int, std::vector<PeerId>> peers_by_cpl(const PeerId& self, uint64_t first, size_t n) {
  std::map<int, std::vector<PeerId>> out;
  const Key sk = Key::of(self);
  for (uint64_t i = first; i < first + n; ++i) {
    PeerId p = test::peer(i);
    out[common_prefix_length(sk, Key::of(p))].push_back(p);
  }
  return out;
}

TEST(KadRoutingTable, InsertsRefreshesAndIgnoresSelf) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self);
  const PeerId a = test::peer(1);
  EXPECT_EQ(rt.update(info(a), kT0).outcome, UpdateOutcome::inserted);
  EXPECT_EQ(rt.size(), 1u);
  EXPECT_TRUE(rt.contains(a));
  EXPECT_EQ(rt.update(PeerInfo{a, {}}, test::at(seconds(5))).outcome, UpdateOutcome::refreshed);
  EXPECT_EQ(rt.find(a)->last_seen, test::at(seconds(5)));
  EXPECT_EQ(rt.find(a)->added, kT0);
  EXPECT_EQ(rt.find(a)->addrs.size(), 1u);  // an empty address list keeps the known ones
  EXPECT_EQ(rt.update(info(self), kT0).outcome, UpdateOutcome::ignored);
  EXPECT_EQ(rt.size(), 1u);
}

TEST(KadRoutingTable, BoundsAddressesPerEntry) {
  RoutingTable rt(test::peer(0), RoutingConfig{20, 20, 2, 8});
  PeerInfo p{test::peer(1), {Bytes(8, 1), Bytes(9, 2), Bytes(3, 3), Bytes(4, 4)}};
  ASSERT_EQ(rt.update(p, kT0).outcome, UpdateOutcome::inserted);
  const std::vector<Bytes> addrs = rt.find(p.id)->addrs;
  ASSERT_EQ(addrs.size(), 2u);  // the 9-byte one is over addr_bytes_max
  EXPECT_EQ(addrs[0], Bytes(8, 1));
  EXPECT_EQ(addrs[1], Bytes(3, 3));
}

TEST(KadRoutingTable, FullBucketChecksLeastRecentlySeenAndKeepsItWhenAlive) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self, RoutingConfig{4, 3, 4, 256, Duration::zero()});
  auto groups = peers_by_cpl(self, 1, 200);
  const std::vector<PeerId>& b0 = groups[0];
  ASSERT_GE(b0.size(), 8u);
  for (size_t i = 0; i < 4; ++i)
    ASSERT_EQ(rt.update(info(b0[i]), test::at(seconds(int(i)))).outcome, UpdateOutcome::inserted);
  // b0[0] is the least recently seen.
  UpdateResult r = rt.update(info(b0[4]), test::at(seconds(10)));
  EXPECT_EQ(r.outcome, UpdateOutcome::check_needed);
  ASSERT_TRUE(r.check);
  EXPECT_EQ(r.check->id, b0[0]);
  EXPECT_TRUE(rt.checking(0));
  EXPECT_EQ(rt.replacement_count(0), 1u);
  // A second newcomer while the check runs waits too.
  EXPECT_EQ(rt.update(info(b0[5]), test::at(seconds(11))).outcome, UpdateOutcome::pending);
  EXPECT_EQ(rt.replacement_count(0), 2u);
  EXPECT_FALSE(rt.contains(b0[4]));

  RemoveResult alive = rt.on_liveness_result(b0[0], true, test::at(seconds(12)));
  EXPECT_FALSE(alive.removed);
  EXPECT_TRUE(rt.contains(b0[0]));
  EXPECT_EQ(rt.find(b0[0])->last_seen, test::at(seconds(12)));
  EXPECT_FALSE(rt.checking(0));
  // Now b0[1] is the least recently seen and is the next one checked.
  r = rt.update(info(b0[6]), test::at(seconds(13)));
  ASSERT_EQ(r.outcome, UpdateOutcome::check_needed);
  EXPECT_EQ(r.check->id, b0[1]);
  EXPECT_EQ(rt.size(), 4u);
}

TEST(KadRoutingTable, NewcomerThatMustWaitChecksNobody) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self, RoutingConfig{4, 3, 4, 256, Duration::zero()});
  auto groups = peers_by_cpl(self, 1, 200);
  const std::vector<PeerId>& b0 = groups[0];
  ASSERT_GE(b0.size(), 6u);
  for (size_t i = 0; i < 4; ++i) (void)rt.update(info(b0[i]), kT0);
  UpdateResult r = rt.update(info(b0[4]), test::at(seconds(10)), OnFullBucket::wait);
  EXPECT_EQ(r.outcome, UpdateOutcome::pending);
  EXPECT_FALSE(r.check);
  EXPECT_FALSE(rt.checking(0));
  EXPECT_EQ(rt.replacement_count(0), 1u);
  // The next newcomer that may check still does.
  r = rt.update(info(b0[5]), test::at(seconds(11)));
  ASSERT_EQ(r.outcome, UpdateOutcome::check_needed);
  EXPECT_EQ(r.check->id, b0[0]);
}

TEST(KadRoutingTable, DeadEntryIsReplacedByNewestReplacement) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self, RoutingConfig{4, 2, 4, 256, Duration::zero()});
  auto groups = peers_by_cpl(self, 1, 200);
  const std::vector<PeerId>& b0 = groups[0];
  for (size_t i = 0; i < 4; ++i) (void)rt.update(info(b0[i]), kT0);
  UpdateResult r = rt.update(info(b0[4]), kT0);
  ASSERT_EQ(r.outcome, UpdateOutcome::check_needed);
  (void)rt.update(info(b0[5]), kT0);
  (void)rt.update(info(b0[6]), kT0);  // replacements_max 2: b0[4] falls out
  EXPECT_EQ(rt.replacement_count(0), 2u);

  RemoveResult dead = rt.on_liveness_result(r.check->id, false, test::at(seconds(1)));
  EXPECT_TRUE(dead.removed);
  ASSERT_TRUE(dead.promoted);
  EXPECT_EQ(dead.promoted->id, b0[6]);
  EXPECT_FALSE(rt.contains(b0[0]));
  EXPECT_TRUE(rt.contains(b0[6]));
  EXPECT_EQ(rt.size(), 4u);
  EXPECT_EQ(rt.replacement_count(0), 1u);

  // remove() promotes the next one; with none left the bucket just shrinks.
  EXPECT_EQ(rt.remove(b0[1], kT0).promoted->id, b0[5]);
  RemoveResult last = rt.remove(b0[2], kT0);
  EXPECT_TRUE(last.removed);
  EXPECT_FALSE(last.promoted);
  EXPECT_EQ(rt.size(), 3u);
  EXPECT_FALSE(rt.remove(b0[2], kT0).removed);
}

TEST(KadRoutingTable, RecentlySeenEntryIsNotChecked) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self, RoutingConfig{2, 2, 4, 256, std::chrono::minutes(1)});
  auto b0 = peers_by_cpl(self, 1, 100)[0];
  (void)rt.update(info(b0[0]), kT0);
  (void)rt.update(info(b0[1]), kT0);
  EXPECT_EQ(rt.update(info(b0[2]), test::at(seconds(59))).outcome, UpdateOutcome::pending);
  EXPECT_FALSE(rt.checking(0));
  EXPECT_EQ(rt.replacement_count(0), 1u);
  UpdateResult r = rt.update(info(b0[3]), test::at(seconds(60)));
  EXPECT_EQ(r.outcome, UpdateOutcome::check_needed);
  EXPECT_EQ(r.check->id, b0[0]);
}

TEST(KadRoutingTable, TouchMovesToMostRecentOnly) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self, RoutingConfig{2, 2, 4, 256, Duration::zero()});
  auto b0 = peers_by_cpl(self, 1, 100)[0];
  (void)rt.update(info(b0[0]), kT0);
  (void)rt.update(info(b0[1]), test::at(seconds(1)));
  EXPECT_TRUE(rt.touch(b0[0], test::at(seconds(2))));
  EXPECT_FALSE(rt.touch(b0[2], test::at(seconds(2))));  // touch never inserts
  EXPECT_EQ(rt.update(info(b0[2]), test::at(seconds(3))).check->id, b0[1]);
}

TEST(KadRoutingTable, ClosestMatchesBruteForce) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self);
  for (uint64_t i = 1; i <= 3000; ++i) (void)rt.update(info(test::peer(i)), kT0);
  const std::vector<RoutingEntry> all = rt.entries();
  ASSERT_EQ(all.size(), rt.size());
  ASSERT_GT(rt.size(), 150u);
  uint64_t state = 42;
  for (int round = 0; round < 200; ++round) {
    Key target;
    for (size_t i = 0; i < 32; i += 8) put_u64_be(target.bytes.data() + i, test::splitmix(state));
    if (round % 4 == 0) target = all[size_t(round) % all.size()].key;  // a key in the table
    if (round % 4 == 1) target = rt.self_key();
    std::vector<RoutingEntry> expected = all;
    std::sort(expected.begin(), expected.end(), [&](const RoutingEntry& a, const RoutingEntry& b) {
      return distance(a.key, target) < distance(b.key, target);
    });
    for (size_t n : {size_t(1), size_t(20), size_t(50)}) {
      std::vector<RoutingEntry> got = rt.closest(target, n);
      ASSERT_EQ(got.size(), n);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i].id, expected[i].id) << round << " " << i;
    }
  }
  EXPECT_EQ(rt.closest(rt.self_key(), 100000).size(), rt.size());
}

TEST(KadRoutingTable, MarkLookupRecordsBucketActivity) {
  const PeerId self = test::peer(0);
  RoutingTable rt(self);
  for (uint64_t i = 1; i <= 200; ++i) (void)rt.update(info(test::peer(i)), kT0);
  ASSERT_GT(rt.bucket_count(), 3u);
  EXPECT_FALSE(rt.last_lookup(1));
  rt.mark_lookup(Key::from_bytes(key_bytes_with_cpl(rt.self_key(), 1, 0)), test::at(seconds(9)));
  EXPECT_EQ(rt.last_lookup(1), test::at(seconds(9)));
  rt.mark_lookup(rt.self_key(), test::at(seconds(10)));  // deeper than any bucket: the deepest
  EXPECT_EQ(rt.last_lookup(rt.bucket_count() - 1), test::at(seconds(10)));
}

}  // namespace
}  // namespace agora::kad
