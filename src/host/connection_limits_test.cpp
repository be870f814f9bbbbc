#include "host/connection_limits.h"

#include <gtest/gtest.h>

namespace agora::host {
namespace {

using host::IpSource;

const Instant kStart = Instant{} + std::chrono::hours(1);

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

IpSource source(int group, int host) {
  std::string net = "ip4/10.0." + std::to_string(group);
  return {net + "." + std::to_string(host), net + ".0/24"};
}

NewConnection inbound(uint64_t id, uint8_t p, int group, int host, int age_s = 0) {
  return {id, peer(p), true, source(group, host), kStart + std::chrono::seconds(age_s)};
}

NewConnection outbound(uint64_t id, uint8_t p) {
  return {id, peer(p), false, std::nullopt, kStart};
}

const ConnectionLimits::ProtectedQuery kNoneProtected = [](const PeerId&) { return false; };

TEST(ConnectionLimits, PerPeerAndTotal) {
  ConnectionLimits limits({.connections_max = 3, .connections_per_peer_max = 2});
  EXPECT_TRUE(limits.add_connection(outbound(1, 1), kNoneProtected).ok());
  EXPECT_TRUE(limits.add_connection(outbound(2, 1), kNoneProtected).ok());
  auto third = limits.add_connection(outbound(3, 1), kNoneProtected);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::limit);
  EXPECT_EQ(limits.last_refusal(), LimitName::connections_per_peer_max);
  EXPECT_TRUE(limits.add_connection(outbound(4, 2), kNoneProtected).ok());
  // Full, and no inbound connection to trim: refused.
  auto total = limits.add_connection(outbound(5, 3), kNoneProtected);
  ASSERT_FALSE(total.ok());
  EXPECT_EQ(limits.last_refusal(), LimitName::connections_max);
  EXPECT_NE(total.error().message.find("connections_max"), std::string::npos);
  EXPECT_EQ(limits.connections_to(peer(3)), 0u);
  limits.remove_connection(1);
  EXPECT_EQ(limits.connections(), 2u);
  EXPECT_TRUE(limits.add_connection(outbound(5, 3), kNoneProtected).ok());
}

TEST(ConnectionLimits, PendingHandshakesAndDials) {
  ConnectionLimits limits(
      {.connections_max = 10, .pending_dials_max = 1, .pending_inbound_handshakes_max = 2});
  EXPECT_TRUE(limits.begin_inbound_handshake(std::nullopt).ok());
  EXPECT_TRUE(limits.begin_inbound_handshake(std::nullopt).ok());
  EXPECT_FALSE(limits.begin_inbound_handshake(std::nullopt).ok());
  EXPECT_EQ(limits.last_refusal(), LimitName::pending_inbound_handshakes_max);
  limits.end_inbound_handshake(std::nullopt);
  EXPECT_TRUE(limits.begin_inbound_handshake(std::nullopt).ok());
  EXPECT_TRUE(limits.begin_dial().ok());
  EXPECT_FALSE(limits.begin_dial().ok());
  limits.end_dial();
  EXPECT_EQ(limits.pending_dials(), 0u);
}

TEST(ConnectionLimits, OneSourceGetsOneShareOfPendingHandshakes) {
  ConnectionLimits limits({.pending_inbound_handshakes_max = 64,
                           .pending_inbound_handshakes_per_ip_max = 4,
                           .pending_inbound_handshakes_per_group_max = 6});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(limits.begin_inbound_handshake(source(1, 1)).ok());
  EXPECT_FALSE(limits.begin_inbound_handshake(source(1, 1)).ok());
  EXPECT_EQ(limits.last_refusal(), LimitName::pending_inbound_handshakes_per_ip_max);
  // Another host of the same /24 gets the rest of the network's share.
  EXPECT_TRUE(limits.begin_inbound_handshake(source(1, 2)).ok());
  EXPECT_TRUE(limits.begin_inbound_handshake(source(1, 3)).ok());
  EXPECT_FALSE(limits.begin_inbound_handshake(source(1, 4)).ok());
  EXPECT_EQ(limits.last_refusal(), LimitName::pending_inbound_handshakes_per_group_max);
  // Everyone else is still admitted: the flood did not reach the global limit.
  EXPECT_TRUE(limits.begin_inbound_handshake(source(2, 1)).ok());
  limits.end_inbound_handshake(source(1, 1));
  EXPECT_TRUE(limits.begin_inbound_handshake(source(1, 1)).ok());
}

TEST(ConnectionLimits, InboundConnectionsPerSourceCountPendingHandshakes) {
  ConnectionLimits limits(
      {.inbound_connections_per_ip_max = 2, .inbound_connections_per_group_max = 3});
  ASSERT_TRUE(limits.begin_inbound_handshake(source(1, 1)).ok());
  ASSERT_TRUE(limits.add_connection(inbound(1, 1, 1, 1), kNoneProtected).ok());
  limits.end_inbound_handshake(source(1, 1));
  ASSERT_TRUE(limits.begin_inbound_handshake(source(1, 1)).ok());  // pending: 1 + 1
  EXPECT_FALSE(limits.begin_inbound_handshake(source(1, 1)).ok());
  EXPECT_EQ(limits.last_refusal(), LimitName::inbound_connections_per_ip_max);
  ASSERT_TRUE(limits.begin_inbound_handshake(source(1, 2)).ok());
  EXPECT_FALSE(limits.begin_inbound_handshake(source(1, 3)).ok());
  EXPECT_EQ(limits.last_refusal(), LimitName::inbound_connections_per_group_max);
  limits.remove_connection(1);
  EXPECT_TRUE(limits.begin_inbound_handshake(source(1, 3)).ok());
}

TEST(ConnectionLimits, FullInboundShareTrimsTheMostRepresentedNetwork) {
  // Inbound share: 6 - 2 = 4 connections.
  ConnectionLimits limits({.connections_max = 6, .outbound_reserve = 2});
  ASSERT_TRUE(limits.add_connection(inbound(1, 1, 1, 1, 0), kNoneProtected).ok());  // honest
  ASSERT_TRUE(limits.add_connection(inbound(2, 2, 9, 1, 1), kNoneProtected).ok());  // flooder
  ASSERT_TRUE(limits.add_connection(inbound(3, 3, 9, 2, 2), kNoneProtected).ok());
  ASSERT_TRUE(limits.add_connection(inbound(4, 4, 9, 3, 3), kNoneProtected).ok());
  EXPECT_EQ(limits.inbound_connections(), 4u);
  // A newcomer from a fresh network gets in; the youngest of network 9 makes room.
  auto admitted = limits.add_connection(inbound(5, 5, 2, 1, 4), kNoneProtected);
  ASSERT_TRUE(admitted.ok());
  ASSERT_TRUE(admitted->trim.has_value());
  EXPECT_EQ(*admitted->trim, 4u);
  EXPECT_EQ(admitted->trim_group, "ip4/10.0.9.0/24");
  limits.remove_connection(4);
  // A newcomer from the flooding network is refused: it would only churn itself.
  auto flooder = limits.add_connection(inbound(6, 6, 9, 4, 5), kNoneProtected);
  ASSERT_FALSE(flooder.ok());
  EXPECT_EQ(limits.last_refusal(), LimitName::inbound_connections_max);
  // Outbound connections still have their reserve.
  EXPECT_TRUE(limits.add_connection(outbound(7, 7), kNoneProtected).ok());
  EXPECT_TRUE(limits.add_connection(outbound(8, 8), kNoneProtected).ok());
  // At connections_max an outbound connection also trims an unprotected inbound one.
  auto ninth = limits.add_connection(outbound(9, 9), kNoneProtected);
  ASSERT_TRUE(ninth.ok());
  EXPECT_TRUE(ninth->trim.has_value());
}

// Found by fuzz_swarm: while a trimmed connection was still closing, every newcomer chose it again,
// so one close admitted any number of newcomers and the count grew past connections_max.
TEST(ConnectionLimits, AConnectionChosenAsATrimIsNotChosenAgainWhileItCloses) {
  ConnectionLimits limits({.connections_max = 4, .outbound_reserve = 0});
  ASSERT_TRUE(limits.add_connection(inbound(1, 1, 9, 1, 0), kNoneProtected).ok());
  ASSERT_TRUE(limits.add_connection(inbound(2, 2, 9, 2, 1), kNoneProtected).ok());
  ASSERT_TRUE(limits.add_connection(inbound(3, 3, 9, 3, 2), kNoneProtected).ok());
  ASSERT_TRUE(limits.add_connection(inbound(4, 4, 8, 1, 3), kNoneProtected).ok());
  auto first = limits.add_connection(inbound(5, 5, 1, 1, 4), kNoneProtected);
  ASSERT_TRUE(first.ok() && first->trim);
  EXPECT_EQ(*first->trim, 3u);  // the youngest of network 9
  EXPECT_EQ(limits.leaving(), 1u);
  // Connection 3 has not closed yet: the next newcomer trims another one of network 9.
  auto second = limits.add_connection(inbound(6, 6, 2, 1, 5), kNoneProtected);
  ASSERT_TRUE(second.ok() && second->trim);
  EXPECT_EQ(*second->trim, 2u);
  EXPECT_EQ(limits.leaving(), 2u);
  // Each further newcomer makes its own room: never from a connection already leaving.
  auto third = limits.add_connection(inbound(7, 7, 3, 1, 6), kNoneProtected);
  ASSERT_TRUE(third.ok() && third->trim);
  EXPECT_NE(*third->trim, 2u);
  EXPECT_NE(*third->trim, 3u);
  EXPECT_EQ(limits.leaving(), 3u);
  EXPECT_EQ(limits.connections(), 4u + limits.leaving());
  for (uint64_t id : {*first->trim, *second->trim, *third->trim}) limits.remove_connection(id);
  EXPECT_EQ(limits.leaving(), 0u);
  EXPECT_EQ(limits.connections(), 4u);
}

TEST(ConnectionLimits, ProtectedPeersAreNeverTrimmedAndAlwaysGetIn) {
  ConnectionLimits limits({.connections_max = 3, .outbound_reserve = 0});
  auto protect_2_and_4 = [](const PeerId& p) { return p == peer(2) || p == peer(4); };
  ASSERT_TRUE(limits.add_connection(inbound(1, 1, 1, 1, 0), protect_2_and_4).ok());
  ASSERT_TRUE(limits.add_connection(inbound(2, 2, 1, 2, 1), protect_2_and_4).ok());
  ASSERT_TRUE(limits.add_connection(inbound(3, 3, 2, 1, 2), protect_2_and_4).ok());
  // Protected newcomer from network 1: room is made from an unprotected connection even though
  // its own network is the largest; peer 2 (protected) is not the one trimmed.
  auto protected_newcomer = limits.add_connection(inbound(4, 4, 1, 3, 3), protect_2_and_4);
  ASSERT_TRUE(protected_newcomer.ok());
  ASSERT_TRUE(protected_newcomer->trim.has_value());
  EXPECT_NE(*protected_newcomer->trim, 2u);
  limits.remove_connection(*protected_newcomer->trim);
  // Nothing unprotected but one: still trimmable. Then none: refused.
  auto everyone_protected = [](const PeerId&) { return true; };
  auto refused = limits.add_connection(inbound(5, 5, 3, 1, 4), everyone_protected);
  ASSERT_FALSE(refused.ok());
}

}  // namespace
}  // namespace agora::host
