#include "proto/kad/query.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "proto/kad/routing_table.h"
#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

using test::kT0;

// N peers, each with a full Kademlia routing table of all the others (k-buckets keep the first
// k per CPL, so each knows its neighbourhood well and far regions sparsely). Answers are what a
// real node would return: its k closest to the target.
class Oracle {
 public:
  explicit Oracle(size_t n) {
    for (size_t i = 0; i < n; ++i) ids_.push_back(test::peer(1000 + i));
    for (const PeerId& id : ids_) {
      tables_.emplace(id, RoutingTable(id));
    }
    for (auto& [id, table] : tables_)
      for (const PeerId& other : ids_) (void)table.update(test::info(other), kT0);
  }
  std::vector<PeerInfo> answer(const PeerId& peer, const Key& target) const {
    std::vector<PeerInfo> out;
    for (const RoutingEntry& e : tables_.at(peer).closest(target, 20)) out.push_back(e.info());
    return out;
  }
  bool exists(const PeerId& peer) const { return tables_.count(peer) != 0; }
  std::vector<PeerId> true_closest(const Key& target, size_t k,
                                   const std::set<PeerId>& excluded = {}) const {
    std::vector<PeerId> all;
    for (const PeerId& id : ids_)
      if (excluded.count(id) == 0) all.push_back(id);
    std::sort(all.begin(), all.end(), [&](const PeerId& a, const PeerId& b) {
      return distance(Key::of(a), target) < distance(Key::of(b), target);
    });
    all.resize(std::min(k, all.size()));
    return all;
  }
  // A few peers an outsider would know to start with.
  std::vector<PeerInfo> seeds(const Key& target, size_t n, uint64_t seed) const {
    std::vector<PeerInfo> out;
    uint64_t s = seed;
    while (out.size() < n) out.push_back(test::info(ids_[test::splitmix(s) % ids_.size()]));
    (void)target;
    return out;
  }
  const std::vector<PeerId>& ids() const { return ids_; }

 private:
  std::vector<PeerId> ids_;
  std::map<PeerId, RoutingTable> tables_;
};

const Oracle& oracle() {
  static const Oracle o(500);
  return o;
}

Key random_key(uint64_t& state) {
  Key k;
  for (size_t i = 0; i < 32; i += 8) put_u64_be(k.bytes.data() + i, test::splitmix(state));
  return k;
}

std::vector<PeerId> ids_of(const std::vector<PeerInfo>& peers) {
  std::vector<PeerId> out;
  for (const PeerInfo& p : peers) out.push_back(p.id);
  return out;
}

struct DriveOptions {
  std::set<PeerId> failing;  // answer with a failure
  std::set<PeerId> garbage;  // answer with 64 made-up peers far from the target... or near it
  bool garbage_near = false;
  std::map<PeerId, size_t>* path_learned = nullptr;  // first path that learned each peer
};

// Runs the query to the end, answering requests in batches (all currently in flight), and checks
// the alpha bound and that no peer is asked twice.
void drive(Query& q, const DriveOptions& opt, size_t* max_in_flight = nullptr) {
  std::set<PeerId> asked;
  uint64_t junk = 99;
  Instant now = kT0;
  for (int round = 0; round < 1000 && !q.finished(); ++round) {
    std::vector<PeerInfo> batch;
    while (auto p = q.next_request()) {
      ASSERT_TRUE(asked.insert(p->id).second) << "asked twice";
      if (opt.path_learned) {
        auto it = opt.path_learned->find(p->id);
        ASSERT_NE(it, opt.path_learned->end());
        ASSERT_EQ(q.path_of(p->id), it->second) << "asked by a path that did not learn it";
      }
      batch.push_back(*p);
    }
    ASSERT_LE(q.in_flight(), q.config().alpha);
    if (max_in_flight) *max_in_flight = std::max(*max_in_flight, q.in_flight());
    ASSERT_FALSE(batch.empty()) << "not finished, nothing in flight";
    now += milliseconds(50);
    for (const PeerInfo& p : batch) {
      if (opt.failing.count(p.id) || !oracle().exists(p.id)) {
        EXPECT_TRUE(q.on_failure(p.id, now));
        continue;
      }
      std::vector<PeerInfo> closer;
      if (opt.garbage.count(p.id)) {
        for (int i = 0; i < 64; ++i) {
          PeerId fake = test::peer(5'000'000 + test::splitmix(junk) % 1'000'000);
          closer.push_back(test::info(fake));
        }
      } else {
        closer = oracle().answer(p.id, q.target());
      }
      if (opt.path_learned) {
        for (const PeerInfo& c : closer) opt.path_learned->try_emplace(c.id, *q.path_of(p.id));
      }
      EXPECT_TRUE(q.on_success(p.id, closer, now));
    }
  }
  EXPECT_TRUE(q.finished());
}

TEST(KadQuery, ConvergesOnTrueClosest) {
  uint64_t state = 1;
  for (int i = 0; i < 30; ++i) {
    const Key target = random_key(state);
    Query q(target, QueryConfig{}, kT0);
    q.add_seeds(oracle().seeds(target, 3, uint64_t(i)));
    size_t max_in_flight = 0;
    drive(q, {}, &max_in_flight);
    EXPECT_EQ(ids_of(q.closest(20)), oracle().true_closest(target, 20)) << "lookup " << i;
    EXPECT_LE(max_in_flight, 10u);
    EXPECT_GE(q.stats().hops, 1u);
    EXPECT_GE(q.stats().responses, 20u);
  }
}

TEST(KadQuery, AlphaBoundsRequestsInFlight) {
  uint64_t state = 2;
  const Key target = random_key(state);
  Query q(target, QueryConfig{20, 3, 1, 256}, kT0);
  q.add_seeds(oracle().seeds(target, 20, 5));
  size_t max_in_flight = 0;
  drive(q, {}, &max_in_flight);
  EXPECT_EQ(max_in_flight, 3u);
  EXPECT_EQ(ids_of(q.closest(20)), oracle().true_closest(target, 20));
}

TEST(KadQuery, FailuresAreSkipped) {
  uint64_t state = 3;
  for (int i = 0; i < 10; ++i) {
    const Key target = random_key(state);
    // A quarter of the true 20 closest fail. Every answer still lists them (routing tables are
    // not told), so the result is what answers can reveal: every live peer of the true 20
    // closest, topped up with the next ones, and no failed peer.
    std::vector<PeerId> closest = oracle().true_closest(target, 20);
    std::set<PeerId> failing;
    for (size_t j = 0; j < closest.size(); j += 4) failing.insert(closest[j]);
    Query q(target, QueryConfig{}, kT0);
    q.add_seeds(oracle().seeds(target, 5, 7 + uint64_t(i)));
    drive(q, DriveOptions{failing});
    std::vector<PeerId> got = ids_of(q.closest(20));
    EXPECT_EQ(got.size(), 20u);
    for (const PeerId& p : got) EXPECT_EQ(failing.count(p), 0u);
    for (const PeerId& p : closest) {
      if (failing.count(p) == 0) {
        EXPECT_EQ(std::count(got.begin(), got.end(), p), 1) << i;
      }
    }
    EXPECT_GE(q.stats().failures, 5u);
  }
}

TEST(KadQuery, GarbagePeersDoNotBreakIt) {
  uint64_t state = 4;
  std::set<PeerId> garbage;
  for (size_t i = 0; i < oracle().ids().size(); i += 10) garbage.insert(oracle().ids()[i]);
  for (int i = 0; i < 10; ++i) {
    const Key target = random_key(state);
    Query q(target, QueryConfig{}, kT0);
    q.add_seeds(oracle().seeds(target, 3, 100 + uint64_t(i)));
    DriveOptions opt;
    opt.garbage = garbage;
    drive(q, opt);
    EXPECT_EQ(ids_of(q.closest(20)), oracle().true_closest(target, 20)) << i;
  }
}

TEST(KadQuery, DisjointPathsNeverShareAPeer) {
  uint64_t state = 5;
  for (int i = 0; i < 10; ++i) {
    const Key target = random_key(state);
    Query q(target, QueryConfig{20, 10, 4, 256}, kT0);
    std::vector<PeerInfo> seeds = oracle().seeds(target, 8, 200 + uint64_t(i));
    q.add_seeds(seeds);
    std::map<PeerId, size_t> learned;
    for (const PeerInfo& s : seeds) learned.try_emplace(s.id, *q.path_of(s.id));
    std::set<size_t> seed_paths;
    for (const auto& [id, path] : learned) seed_paths.insert(path);
    EXPECT_EQ(seed_paths.size(), 4u);  // seeds are dealt over all paths
    DriveOptions opt;
    opt.path_learned = &learned;
    size_t max_in_flight = 0;
    drive(q, opt, &max_in_flight);
    EXPECT_LE(max_in_flight, 10u);
    // Each path converges on its own; together they still find the true closest.
    std::vector<PeerId> got = ids_of(q.closest(20));
    std::vector<PeerId> want = oracle().true_closest(target, 20);
    size_t common = 0;
    for (const PeerId& p : got) common += std::count(want.begin(), want.end(), p);
    EXPECT_GE(common, 19u) << i;
  }
}

TEST(KadQuery, EndsWhenNothingIsLeftToAsk) {
  Query empty(Key{}, QueryConfig{}, kT0);
  EXPECT_TRUE(empty.finished());
  EXPECT_FALSE(empty.next_request());

  Query q(Key{}, QueryConfig{}, kT0);
  std::vector<PeerInfo> seeds{test::info(test::peer(1)), test::info(test::peer(2))};
  q.add_seeds(seeds);
  EXPECT_FALSE(q.finished());
  auto a = q.next_request();
  auto b = q.next_request();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(q.next_request());
  EXPECT_TRUE(q.on_failure(a->id, test::at(seconds(10))));
  EXPECT_FALSE(q.on_failure(a->id, test::at(seconds(10))));  // not in flight any more
  EXPECT_FALSE(q.finished());
  EXPECT_TRUE(q.on_success(b->id, {}, test::at(seconds(11))));
  EXPECT_TRUE(q.finished());
  ASSERT_EQ(q.closest(20).size(), 1u);
  EXPECT_EQ(q.closest(20)[0].id, b->id);
  EXPECT_EQ(q.stats().elapsed, seconds(11) - Duration::zero());
  EXPECT_FALSE(q.on_success(test::peer(77), {}, kT0));  // never asked
}

TEST(KadQuery, CountsHopsAlongTheClosestPath) {
  // The seed knows only m; m knows only the target's owner t.
  const PeerId t = test::peer(10);
  const Key target = Key::of(t);
  const PeerId seed = test::peer(11), m = test::peer(12);
  Query q(target, QueryConfig{}, kT0);
  q.add_seeds(std::vector<PeerInfo>{test::info(seed)});
  auto r1 = q.next_request();
  ASSERT_EQ(r1->id, seed);
  ASSERT_TRUE(q.on_success(seed, std::vector<PeerInfo>{test::info(m)}, kT0));
  auto r2 = q.next_request();
  ASSERT_EQ(r2->id, m);
  ASSERT_TRUE(q.on_success(m, std::vector<PeerInfo>{test::info(t)}, kT0));
  auto r3 = q.next_request();
  ASSERT_EQ(r3->id, t);
  ASSERT_TRUE(q.on_success(t, {}, kT0));
  EXPECT_TRUE(q.finished());
  EXPECT_EQ(q.stats().hops, 3u);
}

TEST(KadQuery, ForgetsFarthestPastPeersMax) {
  uint64_t state = 6;
  const Key target = random_key(state);
  Query q(target, QueryConfig{20, 10, 1, 30}, kT0);
  std::vector<PeerInfo> many;
  for (uint64_t i = 0; i < 200; ++i) many.push_back(test::info(test::peer(i)));
  q.add_seeds(many);
  EXPECT_EQ(q.stats().peers_seen, 200u);
  // Only the 30 closest are kept: asking and failing them all ends the query.
  size_t asked = 0;
  while (!q.finished()) {
    auto p = q.next_request();
    ASSERT_TRUE(p);
    ++asked;
    q.on_failure(p->id, kT0);
  }
  EXPECT_EQ(asked, 30u);
}

}  // namespace
}  // namespace agora::kad
