// behaviour::ConnectivityBehaviour over the MemoryNetwork: bootstrap dials, discovered peers
// dialled while there is room, failed dials backing off, trims over the high watermark and dials
// back up to the low one.
#include "behaviour/connectivity_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"

namespace agora::sim {
namespace {

using behaviour::ConnectivityBehaviour;
using behaviour::ConnectivityConfig;
using behaviour::ConnectivityEvent;
using behaviour::DialOutcome;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

PeerId peer(uint32_t n) {
  Bytes key(32, 0);
  for (int i = 0; i < 4; ++i) key[size_t(i)] = uint8_t(n >> (8 * i));
  key[31] = 1;
  return PeerId::from_public_key({KeyType::ed25519, key});
}

Multiaddr address_with_peer(MemoryNetwork::NodeId node, const PeerId& p) {
  return *Multiaddr::parse(MemoryNetwork::address_of(node).to_string() + "/p2p/" + p.to_string());
}

struct Nodes : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  std::vector<std::unique_ptr<ConnectivityBehaviour>> behaviours;

  // Node i gets peer(i + 1) and a ConnectivityBehaviour with `config`.
  ConnectivityBehaviour& add(ConnectivityConfig config) {
    MemoryNetwork::NodeId n = net.add_node(peer(uint32_t(behaviours.size() + 1)));
    auto wall = [this] { return int64_t(to_ms(net.now().time_since_epoch())); };
    auto b = ConnectivityBehaviour::create(net.peer(n), std::move(config), wall);
    EXPECT_TRUE(b.ok());
    behaviours.push_back(std::move(b).value());
    net.add_behaviour(n, *behaviours.back());
    return *behaviours.back();
  }
  void start(MemoryNetwork::NodeId n) {
    behaviours[n]->start(net.now());
    net.wake(n, *behaviours[n]);
  }
  template <class T>
  std::vector<T> events_of(ConnectivityBehaviour& b) {
    std::vector<T> out;
    while (auto e = b.poll_event())
      if (auto* t = std::get_if<T>(&*e)) out.push_back(*t);
    return out;
  }
};

TEST_F(Nodes, ABootstrapPeerIsDialledAtStartAndBothStoresKnowEachOther) {
  add({});
  ConnectivityBehaviour& a = add({.bootstrap = {address_with_peer(0, peer(1))}});
  start(0);
  start(1);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_EQ(net.connections(), 1u);
  auto dials = events_of<DialOutcome>(a);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_TRUE(dials[0].connected);
  EXPECT_TRUE(a.peers().connected(peer(1)));
  EXPECT_TRUE(behaviours[0]->peers().connected(peer(2)));
  EXPECT_TRUE(a.is_protected(peer(1)));
  EXPECT_FALSE(a.is_protected(peer(3)));
}

TEST_F(Nodes, AFailedDialBacksThePeerOffAndAnUndialablePeerIsNotDialled) {
  ConnectivityBehaviour& a = add({});
  add({});
  start(0);
  net.set_online(1, false);
  a.discovered(peer(2), {address_with_peer(1, peer(2))}, host::PeerSource::mdns, net.now());
  net.wake(0, a);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  auto dials = events_of<DialOutcome>(a);
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_FALSE(dials[0].connected);
  EXPECT_TRUE(a.peers().dial_candidates(10, net.now()).empty());  // backing off
  // An address the swarm cannot dial is not kept, so the peer has nothing to dial.
  a.discovered(peer(9), {*Multiaddr::parse("/dns4/example.com/tcp/1")}, host::PeerSource::mdns,
               net.now());
  net.wake(0, a);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  for (const DialOutcome& d : events_of<DialOutcome>(a))
    EXPECT_FALSE(d.peer == peer(9) && !d.no_address) << "a dial to an undialable peer";
  EXPECT_EQ(a.dials_in_flight(), 0u);
}

TEST_F(Nodes, OverTheHighWatermarkTheManagerTrimsAndUnderTheLowOneItDialsKnownPeers) {
  host::ConnectionManagerConfig limits{.low_water = 2,
                                       .high_water = 4,
                                       .grace_period = seconds(1),
                                       .silence_period = seconds(1),
                                       .check_interval = seconds(1)};
  ConnectivityBehaviour& hub = add({.connections = limits});
  // The spokes never dial on their own (low watermark 0): only the hub's dials are counted.
  for (int i = 0; i < 6; ++i) add({.connections = {.low_water = 0, .high_water = 8}});
  for (MemoryNetwork::NodeId n = 0; n < 7; ++n) start(n);
  for (MemoryNetwork::NodeId n = 1; n < 7; ++n) {
    ASSERT_TRUE(net.connect(n, 0).ok());
    // What identify would tell the hub: where each inbound peer listens.
    hub.identified(net.peer(n), {MemoryNetwork::address_of(n)}, {}, "sim");
  }
  ASSERT_TRUE(net.run_for(seconds(5)).ok());
  EXPECT_EQ(hub.manager().connections(), 2u);  // trimmed down to the low watermark
  EXPECT_EQ(events_of<behaviour::ConnectionTrimmed>(hub).size(), 4u);
  // Every peer closes on us: the hub knows them all, and dials back up to the low watermark
  // once they may be redialled.
  for (MemoryNetwork::NodeId n = 1; n < 7; ++n) net.set_online(n, false);
  for (MemoryNetwork::NodeId n = 1; n < 7; ++n) net.set_online(n, true);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_EQ(hub.manager().connections(), 0u);
  ASSERT_TRUE(net.run_for(minutes(3)).ok());  // past redial_after_close
  EXPECT_EQ(hub.manager().connections(), 2u);
  auto dials = events_of<DialOutcome>(hub);
  EXPECT_GE(dials.size(), 2u);
  for (const auto& d : dials) EXPECT_TRUE(d.connected);
}

}  // namespace
}  // namespace agora::sim
