#include "host/resource_manager.h"

#include <gtest/gtest.h>

namespace agora::host {
namespace {

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

ResourceManagerConfig small_config() {
  ResourceManagerConfig c;
  c.system = {.streams_inbound_max = 8, .streams_outbound_max = 8, .memory_bytes_max = 1000};
  c.peer = {.streams_inbound_max = 4, .streams_outbound_max = 4, .memory_bytes_max = 500};
  c.protocols_max = 3;
  return c;
}

ProtocolLimits protocol_limits(size_t all, size_t per_peer) {
  return {.all_peers = {all, all, 800}, .per_peer = {per_peer, per_peer, 300}};
}

TEST(ResourceManager, UnknownProtocolIsRefused) {
  ResourceManager rm(small_config());
  auto r = rm.open_stream(peer(1), "/nobody", Direction::inbound);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, RefusalReason::unknown_protocol);
  EXPECT_EQ(r->to_error().code, Errc::unsupported);
  EXPECT_EQ(rm.peers_tracked(), 0u);
}

TEST(ResourceManager, EachScopeRefusesAtItsLimitWithItsName) {
  ResourceManager rm(small_config());
  ASSERT_TRUE(rm.set_protocol("/a", protocol_limits(5, 2)).ok());
  ASSERT_TRUE(rm.set_protocol("/b", protocol_limits(5, 3)).ok());
  // (peer, protocol): two /a streams for peer 1.
  EXPECT_FALSE(rm.open_stream(peer(1), "/a", Direction::inbound));
  EXPECT_FALSE(rm.open_stream(peer(1), "/a", Direction::inbound));
  auto pair = rm.open_stream(peer(1), "/a", Direction::inbound);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->scope, Scope::peer_protocol);
  EXPECT_STREQ(pair->limit, "streams_inbound_max");
  // Peer: 4 inbound in all; /b takes the other two.
  EXPECT_FALSE(rm.open_stream(peer(1), "/b", Direction::inbound));
  EXPECT_FALSE(rm.open_stream(peer(1), "/b", Direction::inbound));
  auto whole_peer = rm.open_stream(peer(1), "/b", Direction::inbound);
  ASSERT_TRUE(whole_peer);
  EXPECT_EQ(whole_peer->scope, Scope::peer);
  // Protocol /a: 5 over all peers. Peer 1 holds 2; peers 2 and 3 add 3.
  EXPECT_FALSE(rm.open_stream(peer(2), "/a", Direction::inbound));
  EXPECT_FALSE(rm.open_stream(peer(2), "/a", Direction::inbound));
  EXPECT_FALSE(rm.open_stream(peer(3), "/a", Direction::inbound));
  auto whole_protocol = rm.open_stream(peer(3), "/a", Direction::inbound);
  ASSERT_TRUE(whole_protocol);
  EXPECT_EQ(whole_protocol->scope, Scope::protocol);
  // System: 8 inbound; 7 are held, peer 4 takes the last.
  EXPECT_EQ(rm.system().streams_inbound, 7u);
  EXPECT_FALSE(rm.open_stream(peer(4), "/b", Direction::inbound));
  auto whole_system = rm.open_stream(peer(5), "/b", Direction::inbound);
  ASSERT_TRUE(whole_system);
  EXPECT_EQ(whole_system->scope, Scope::system);
  // Outbound is a separate budget.
  EXPECT_FALSE(rm.open_stream(peer(5), "/b", Direction::outbound));
  EXPECT_EQ(rm.refusals().at({Scope::system, "streams_inbound_max"}), 1u);
  EXPECT_EQ(rm.refusals().at({Scope::peer_protocol, "streams_inbound_max"}), 1u);
}

TEST(ResourceManager, ClosingGivesBackAndForgetsIdlePeers) {
  ResourceManager rm(small_config());
  ASSERT_TRUE(rm.set_protocol("/a", protocol_limits(5, 2)).ok());
  EXPECT_FALSE(rm.open_stream(peer(1), "/a", Direction::outbound));
  EXPECT_FALSE(rm.reserve_memory(peer(1), "/a", 200));
  EXPECT_EQ(rm.peer(peer(1)).memory_bytes, 200u);
  auto too_much = rm.reserve_memory(peer(1), "/a", 101);
  ASSERT_TRUE(too_much);
  EXPECT_EQ(too_much->scope, Scope::peer_protocol);
  EXPECT_STREQ(too_much->limit, "memory_bytes_max");
  rm.release_memory(peer(1), "/a", 200);
  rm.close_stream(peer(1), "/a", Direction::outbound);
  EXPECT_EQ(rm.peers_tracked(), 0u);
  EXPECT_TRUE(rm.system().empty());
  EXPECT_TRUE(rm.protocol("/a").empty());
  // A release of something never granted changes nothing.
  rm.close_stream(peer(9), "/a", Direction::inbound);
  rm.release_memory(peer(9), "/a", 1u << 30);
  EXPECT_TRUE(rm.system().empty());
}

TEST(ResourceManager, ProtocolsAreBounded) {
  ResourceManager rm(small_config());
  EXPECT_TRUE(rm.set_protocol("/1", {}).ok());
  EXPECT_TRUE(rm.set_protocol("/2", {}).ok());
  EXPECT_TRUE(rm.set_protocol("/3", {}).ok());
  EXPECT_TRUE(rm.set_protocol("/3", {}).ok());  // replacing is not adding
  EXPECT_EQ(rm.set_protocol("/4", {}).error().code, Errc::limit);
}

}  // namespace
}  // namespace agora::host
