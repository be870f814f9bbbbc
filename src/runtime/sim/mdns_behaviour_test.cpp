// behaviour::MdnsBehaviour over the MemoryNetwork's multicast: nodes find the others on their LAN
// and nobody beyond it, hear a goodbye at once, and a node that goes offline is neither heard nor
// hears.
#include "behaviour/mdns_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"

namespace agora::sim {
namespace {

using behaviour::MdnsBehaviour;
using mdns::PeerDiscovered;
using mdns::PeerExpired;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

// Distinct per node: the peer name (a DNS-SD instance label) is drawn from it, and a node takes
// an answer under its own name for its own.
host::Entropy counter_entropy(uint8_t start) {
  auto n = std::make_shared<uint8_t>(start);
  return [n](std::span<uint8_t> out) {
    for (auto& b : out) b = ++*n;
  };
}

struct Lan : ::testing::Test {
  // Two LANs of three nodes each.
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5), .lan_nodes = 3}};
  std::vector<std::unique_ptr<MdnsBehaviour>> mdns;
  std::vector<std::vector<mdns::MdnsEvent>> seen;

  void SetUp() override {
    seen.resize(6);
    for (uint8_t i = 0; i < 6; ++i) {
      MemoryNetwork::NodeId n = net.add_node(peer(i + 1));
      behaviour::MdnsBehaviourConfig config;
      config.core.query_interval = seconds(1);
      mdns.push_back(
          MdnsBehaviour::create(peer(i + 1), config, counter_entropy(uint8_t(i * 40))).value());
      mdns[n]->set_addresses({MemoryNetwork::address_of(n)});
      net.add_behaviour(n, *mdns[n], [this, n] {
        while (auto e = mdns[n]->poll_event()) seen[n].push_back(*e);
      });
    }
  }
  bool found(size_t by, uint8_t who) const {
    for (const auto& e : seen[by])
      if (auto* d = std::get_if<PeerDiscovered>(&e); d && d->peer == peer(who)) return true;
    return false;
  }
};

TEST_F(Lan, NodesFindTheirLanAndNothingBeyond) {
  ASSERT_TRUE(net.run_for(seconds(3)).ok());
  for (size_t n = 0; n < 6; ++n) {
    EXPECT_TRUE(mdns[n]->running());
    for (uint8_t who = 1; who <= 6; ++who) {
      const size_t index = size_t(who) - 1;
      const bool same_lan = index / 3 == n / 3;
      const bool self = index == n;
      EXPECT_EQ(found(n, who), same_lan && !self) << "node " << n << " peer " << int(who);
    }
  }
  for (const auto& e : seen[0]) {
    if (auto* d = std::get_if<PeerDiscovered>(&e); d && d->peer == peer(2)) {
      EXPECT_EQ(d->addrs, std::vector<Multiaddr>{MemoryNetwork::address_of(1)});
    }
  }
}

TEST_F(Lan, AGoodbyeIsHeardAtOnceAndAnOfflineNodeIsSilent) {
  ASSERT_TRUE(net.run_for(seconds(2)).ok());
  mdns[1]->stop(net.now());
  net.wake(1, *mdns[1]);
  ASSERT_TRUE(net.run_for(milliseconds(50)).ok());
  bool goodbye = false;
  for (const auto& e : seen[0])
    if (auto* x = std::get_if<PeerExpired>(&e); x && x->peer == peer(2))
      goodbye = x->reason == mdns::ExpiryReason::goodbye;
  EXPECT_TRUE(goodbye);
  // Node 3 (second LAN) goes offline: it hears nothing, and is not heard, so its neighbours
  // forget it when its records' TTL (120 s) runs out, while they keep each other.
  net.set_online(3, false);
  const uint64_t received = mdns[3]->core().stats().datagrams_received;
  ASSERT_TRUE(net.run_for(seconds(150)).ok());
  EXPECT_EQ(mdns[3]->core().stats().datagrams_received, received);
  auto expired = [&](size_t by, uint8_t who) {
    for (const auto& e : seen[by])
      if (auto* x = std::get_if<PeerExpired>(&e); x && x->peer == peer(who))
        return x->reason == mdns::ExpiryReason::ttl;
    return false;
  };
  EXPECT_TRUE(expired(4, 4));
  EXPECT_TRUE(expired(5, 4));
  EXPECT_FALSE(expired(4, 6));
  EXPECT_FALSE(expired(5, 5));
}

}  // namespace
}  // namespace agora::sim
