// behaviour::KadBehaviour over the MemoryNetwork: a connected DHT server that fails one request
// leaves the routing table, and comes back at once while the table is small (go-libp2p-kad-dht's
// fixLowPeers), so a node whose only peer refused one stream can still look things up.
#include "behaviour/kad_behaviour.h"

#include <gtest/gtest.h>

#include <memory>

#include "runtime/sim/memory_network.h"
#include "runtime/sim/scripted_behaviour.h"

namespace agora::sim {
namespace {

using behaviour::KadBehaviour;
using behaviour::KadBehaviourConfig;
using behaviour::KadBehaviourEvent;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

struct KadRefill : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2));
  // Node B says (in identify) that it serves the DHT, but it has no kad handler: every kad stream
  // to it is refused.
  identify::IdentifyInfo b_info{.listen_addrs = {MemoryNetwork::address_of(nb)},
                                .protocols = {std::string(behaviour::kKadProtocol)}};
  sim::ScriptedBehaviour b_other{{}};
  std::vector<kad::RoutingUpdated> routing;

  std::unique_ptr<KadBehaviour> make(size_t refill_below) {
    KadBehaviourConfig config;
    config.routing_refill_below = refill_below;
    return std::make_unique<KadBehaviour>(peer(1), config,
                                          [this](const PeerId& p) -> const identify::IdentifyInfo* {
                                            return p == peer(2) ? &b_info : nullptr;
                                          });
  }
  void drain(KadBehaviour& kad) {
    while (auto e = kad.poll_event())
      if (auto* k = std::get_if<kad::KadEvent>(&*e))
        if (auto* r = std::get_if<kad::RoutingUpdated>(k)) routing.push_back(*r);
  }
  // Connects A to B, then runs one lookup on A, which asks B and fails.
  void connect_then_fail_a_lookup(KadBehaviour& kad) {
    net.add_behaviour(na, kad, [&] { drain(kad); });
    net.add_behaviour(nb, b_other);
    ASSERT_TRUE(net.connect(na, nb).ok());
    ASSERT_TRUE(net.run_for(milliseconds(100)).ok());
    ASSERT_EQ(kad.core().routing_table().size(), 1u);
    ASSERT_TRUE(kad.core().find_node(peer(9), net.now()).ok());
    kad.commanded(net.now());
    net.wake(na, kad);
    ASSERT_TRUE(net.run_for(seconds(1)).ok());
    drain(kad);
  }
};

TEST_F(KadRefill, AConnectedServerThatFailedOneRequestComesBackToASmallTable) {
  auto owned = make(10);
  KadBehaviour& kad = *owned;
  connect_then_fail_a_lookup(kad);
  ASSERT_GE(routing.size(), 3u);  // added, removed after the refused stream, added again
  EXPECT_TRUE(routing[0].added);
  EXPECT_FALSE(routing[1].added);
  EXPECT_TRUE(routing[2].added);
  EXPECT_EQ(routing[2].peer, peer(2));
  EXPECT_EQ(kad.core().routing_table().size(), 1u);
}

TEST_F(KadRefill, WithoutTheRefillTheFailedPeerStaysOut) {
  auto owned = make(0);  // the core's rule alone
  KadBehaviour& kad = *owned;
  connect_then_fail_a_lookup(kad);
  ASSERT_EQ(routing.size(), 2u);
  EXPECT_FALSE(routing[1].added);
  EXPECT_EQ(kad.core().routing_table().size(), 0u);
}

}  // namespace
}  // namespace agora::sim
