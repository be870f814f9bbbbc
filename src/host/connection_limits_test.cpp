#include "host/connection_limits.h"

#include <gtest/gtest.h>

namespace agora {

static PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

TEST(ConnectionLimits, PerPeerAndTotal) {
  ConnectionLimits limits({.connections_max = 3, .connections_per_peer_max = 2});
  EXPECT_TRUE(limits.add_connection(peer(1)).ok());
  EXPECT_TRUE(limits.add_connection(peer(1)).ok());
  auto third = limits.add_connection(peer(1));
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::limit);
  EXPECT_NE(third.error().message.find("connections_per_peer_max"), std::string::npos);
  EXPECT_TRUE(limits.add_connection(peer(2)).ok());
  auto total = limits.add_connection(peer(3));
  ASSERT_FALSE(total.ok());
  EXPECT_NE(total.error().message.find("connections_max"), std::string::npos);
  EXPECT_EQ(limits.connections_to(peer(3)), 0u);
  limits.remove_connection(peer(1));
  EXPECT_EQ(limits.connections(), 2u);
  EXPECT_TRUE(limits.add_connection(peer(3)).ok());
}

TEST(ConnectionLimits, PendingHandshakesAndDials) {
  ConnectionLimits limits(
      {.connections_max = 10, .pending_dials_max = 1, .pending_inbound_handshakes_max = 2});
  EXPECT_TRUE(limits.begin_inbound_handshake().ok());
  EXPECT_TRUE(limits.begin_inbound_handshake().ok());
  EXPECT_FALSE(limits.begin_inbound_handshake().ok());
  limits.end_inbound_handshake();
  EXPECT_TRUE(limits.begin_inbound_handshake().ok());
  EXPECT_TRUE(limits.begin_dial().ok());
  EXPECT_FALSE(limits.begin_dial().ok());
  limits.end_dial();
  EXPECT_EQ(limits.pending_dials(), 0u);
}

}  // namespace agora
