// End to end: 500 Kad cores wired directly (test_network.h), lookups checked against brute force.
// One network is built for the whole suite; tests that need another config add a node to it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "proto/kad/test_network.h"

namespace agora::kad {
namespace {

using test::Behaviour;
using test::TestNetwork;

constexpr size_t kNodes = 500;

size_t overlap(const std::vector<PeerInfo>& got, const std::vector<PeerId>& want) {
  size_t n = 0;
  for (const PeerInfo& p : got) n += size_t(std::count(want.begin(), want.end(), p.id));
  return n;
}

class KadNetwork : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    net_ = new TestNetwork(kNodes, KadConfig{}, 11);
    net_->build();
    size_t entries = 0;
    for (size_t i = 0; i < net_->size(); ++i) entries += net_->node(i).routing_table().size();
    std::printf("%zu nodes, %.1f routing entries per node, %llu messages to build\n", net_->size(),
                double(entries) / double(net_->size()), (unsigned long long)net_->messages());
  }
  static void TearDownTestSuite() {
    delete net_;
    net_ = nullptr;
  }
  void TearDown() override {
    for (size_t i = 0; i < net().size(); ++i) net().set_behaviour(i, Behaviour::honest);
  }
  TestNetwork& net() { return *net_; }

  Bytes random_key_bytes() {
    Bytes b(32);
    for (size_t i = 0; i < 32; i += 8) put_u64_be(b.data() + i, net().random());
    return b;
  }

  size_t random_honest_node() {
    for (;;) {
      const size_t i = net().random() % kNodes;
      if (net().behaviour(i) == Behaviour::honest) return i;
    }
  }

  // Starts an operation on node `from`, runs the network, returns the result.
  template <class Start>
  const QueryFinished* run_query(size_t from, Start start) {
    Result<QueryId> id = start(net().node(from));
    EXPECT_TRUE(id.ok()) << id.error().to_string();
    if (!id) return nullptr;
    net().flush(from);
    net().run();
    const QueryFinished* f = net().result(from, *id);
    EXPECT_TRUE(f) << "query did not finish";
    return f;
  }

  // The 20 nodes closest to `key`, the querying node left out (it is not in its own result).
  std::vector<PeerId> true_closest(const Bytes& key, size_t from, bool responsive_only = false) {
    std::vector<PeerId> want = net().true_closest(Key::from_bytes(key), 21, responsive_only);
    want.erase(std::remove(want.begin(), want.end(), net().node(from).self()), want.end());
    want.resize(20);
    return want;
  }

  static TestNetwork* net_;
};
TestNetwork* KadNetwork::net_ = nullptr;

TEST_F(KadNetwork, LookupsConvergeOnTrueClosest) {
  size_t exact = 0;
  std::vector<uint32_t> hops;
  for (int i = 0; i < 100; ++i) {
    const size_t from = random_honest_node();
    const Bytes key = random_key_bytes();
    const QueryFinished* f =
        run_query(from, [&](Kad& kad) { return kad.get_closest_peers(key, net().now()); });
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->ok);
    const size_t found = overlap(f->closest, true_closest(key, from));
    EXPECT_GE(found, 19u) << "lookup " << i;
    exact += found == 20;
    hops.push_back(f->stats.hops);
  }
  std::sort(hops.begin(), hops.end());
  std::printf("%zu/100 lookups found all 20 closest, median hops %u\n", exact, hops[50]);
  EXPECT_GE(exact, 98u);
  EXPECT_LE(hops[50], 3u);  // log_16(500) + 1 = 3.2

  // find_node for an existing peer finds the peer itself, with its address.
  for (int i = 0; i < 20; ++i) {
    const size_t from = random_honest_node();
    const size_t target = (from + 1 + net().random() % (kNodes - 1)) % kNodes;
    const QueryFinished* f = run_query(
        from, [&](Kad& kad) { return kad.find_node(net().node(target).self(), net().now()); });
    ASSERT_TRUE(f);
    ASSERT_FALSE(f->closest.empty());
    EXPECT_EQ(f->closest[0].id, net().node(target).self());
    EXPECT_EQ(f->closest[0].addrs, std::vector<Bytes>{TestNetwork::addr(target)});
  }
  // Idle again: no query state, nothing in flight.
  for (size_t i = 0; i < net().size(); ++i) {
    EXPECT_EQ(net().node(i).query_count(), 0u);
    EXPECT_EQ(net().node(i).requests_in_flight(), 0u);
  }
}

TEST_F(KadNetwork, AlphaBoundsRequestsInFlight) {
  KadConfig config;
  config.alpha = 3;
  const size_t n = net().add_node(config);
  net().join(n);
  for (int i = 0; i < 10; ++i) {
    const Bytes key = test::content_key("alpha " + std::to_string(i));
    const QueryFinished* f =
        run_query(n, [&](Kad& kad) { return kad.get_providers(key, net().now()); });
    ASSERT_TRUE(f);
    EXPECT_GE(f->stats.responses, 20u);
  }
  EXPECT_EQ(net().flight(n, MessageType::get_providers).max, 3u);
}

TEST_F(KadNetwork, DisjointPathsConvergeAndAskEachPeerOnce) {
  KadConfig config;
  config.disjoint_paths = 4;
  const size_t n = net().add_node(config);
  net().join(n);
  for (int i = 0; i < 20; ++i) {
    const Bytes key = random_key_bytes();
    net().track(key);
    const QueryFinished* f =
        run_query(n, [&](Kad& kad) { return kad.get_closest_peers(key, net().now()); });
    ASSERT_TRUE(f);
    EXPECT_GE(overlap(f->closest, true_closest(key, n)), 19u) << i;
    for (size_t to = 0; to < net().size(); ++to) ASSERT_LE(net().asked(n, to, key), 1u);
  }
}

TEST_F(KadNetwork, PutValueGetValue) {
  test::PkRecord pk = test::pk_record(9);
  const QueryFinished* p =
      run_query(3, [&](Kad& kad) { return kad.put_value(pk.record, net().now()); });
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->ok);
  EXPECT_EQ(p->stored, 20u);
  // The 20 nodes closest to the key hold it.
  size_t holders = 0;
  for (const PeerId& id : net().true_closest(Key::from_bytes(pk.record.key), 20))
    holders += net().node(net().index_of(id)).records().get(pk.record.key, net().now()).has_value();
  EXPECT_GE(holders, 19u);

  for (size_t from : {size_t(77), size_t(250), size_t(499)}) {
    const QueryFinished* g =
        run_query(from, [&](Kad& kad) { return kad.get_value(pk.record.key, net().now()); });
    ASSERT_TRUE(g);
    EXPECT_TRUE(g->ok);
    ASSERT_TRUE(g->record);
    EXPECT_EQ(g->record->value, pk.record.value);
  }
  const Bytes missing = test::pk_record(10).record.key;
  const QueryFinished* m =
      run_query(8, [&](Kad& kad) { return kad.get_value(missing, net().now()); });
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->ok);
  EXPECT_EQ(m->error, "no record found");
}

TEST_F(KadNetwork, ProvideGetProviders) {
  const Bytes key = test::content_key("some content");
  for (size_t provider : {size_t(5), size_t(6), size_t(300)}) {
    const QueryFinished* f = run_query(provider, [&](Kad& kad) {
      return kad.provide(key, {TestNetwork::addr(provider)}, net().now());
    });
    ASSERT_TRUE(f);
    EXPECT_TRUE(f->ok);
    EXPECT_EQ(f->stored, 20u);
  }
  const QueryFinished* f =
      run_query(400, [&](Kad& kad) { return kad.get_providers(key, net().now()); });
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->ok);
  std::set<PeerId> found;
  for (const PeerInfo& p : f->providers) {
    found.insert(p.id);
    EXPECT_EQ(p.addrs, std::vector<Bytes>{TestNetwork::addr(net().index_of(p.id))});
  }
  EXPECT_EQ(found,
            (std::set<PeerId>{net().node(5).self(), net().node(6).self(), net().node(300).self()}));

  const Bytes nobody = test::content_key("nobody has this");
  const QueryFinished* none =
      run_query(401, [&](Kad& kad) { return kad.get_providers(nobody, net().now()); });
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->ok);
}

TEST_F(KadNetwork, GarbageAnswersDoNotBreakLookups) {
  for (size_t i = 3; i < kNodes; i += 10) net().set_behaviour(i, Behaviour::garbage);
  for (int i = 0; i < 30; ++i) {
    const size_t from = random_honest_node();
    const Bytes key = random_key_bytes();
    const QueryFinished* f =
        run_query(from, [&](Kad& kad) { return kad.get_closest_peers(key, net().now()); });
    ASSERT_TRUE(f);
    EXPECT_GE(overlap(f->closest, true_closest(key, from)), 19u) << i;
  }
}

// Runs last: failed peers leave the querying nodes' tables.
TEST_F(KadNetwork, SilentAndUnreachableNodesTimeOut) {
  for (size_t i = 0; i < kNodes; i += 10) net().set_behaviour(i, Behaviour::silent);
  for (size_t i = 5; i < kNodes; i += 20) net().set_behaviour(i, Behaviour::unreachable);
  auto responsive = [&](const PeerId& id) {
    return net().behaviour(net().index_of(id)) == Behaviour::honest;
  };
  const Instant before = net().now();
  for (int i = 0; i < 30; ++i) {
    const size_t from = random_honest_node();
    const Bytes key = random_key_bytes();
    const QueryFinished* f =
        run_query(from, [&](Kad& kad) { return kad.get_closest_peers(key, net().now()); });
    ASSERT_TRUE(f);
    // Other nodes still list the dead ones and answer with their 20 closest, so a lookup may
    // learn fewer than 20 live peers. What it must return: every responsive node of the true 20
    // closest, and no dead node.
    for (const PeerInfo& p : f->closest) EXPECT_TRUE(responsive(p.id));
    for (const PeerId& p : true_closest(key, from)) {
      if (!responsive(p)) continue;
      EXPECT_EQ(std::count_if(f->closest.begin(), f->closest.end(),
                              [&](const PeerInfo& x) { return x.id == p; }),
                1)
          << "lookup " << i;
    }
  }
  EXPECT_GE(net().now() - before, seconds(10));  // lookups waited for timeouts
  uint64_t timeouts = 0;
  for (size_t i = 0; i < net().size(); ++i) timeouts += net().node(i).stats().timeouts;
  EXPECT_GT(timeouts, 0u);
}

}  // namespace
}  // namespace agora::kad
