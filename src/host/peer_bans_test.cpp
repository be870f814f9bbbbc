#include "host/peer_bans.h"

#include <gtest/gtest.h>

namespace agora::host {
namespace {

uint8_t next_peer = 1;
PeerId new_peer() { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, next_peer++)}); }

const Instant t0{};
using std::chrono::minutes;

TEST(PeerBans, BannedUntilTheBanExpires) {
  PeerBans bans;
  PeerId p = new_peer(), q = new_peer();
  bans.ban(p, t0 + minutes(10), "corrupt block");
  EXPECT_EQ(bans.banned(p, t0), "corrupt block");
  EXPECT_EQ(bans.banned(p, t0 + minutes(9)), "corrupt block");
  EXPECT_FALSE(bans.banned(q, t0));
  EXPECT_FALSE(bans.banned(p, t0 + minutes(10)));
  EXPECT_EQ(bans.size(), 0u);  // the expired ban is forgotten
}

TEST(PeerBans, TheLongerBanWins) {
  PeerBans bans;
  PeerId p = new_peer();
  bans.ban(p, t0 + minutes(30), "flood");
  bans.ban(p, t0 + minutes(5), "bad message");
  EXPECT_EQ(bans.banned(p, t0 + minutes(20)), "flood");
  bans.ban(p, t0 + minutes(60), "corrupt block");
  EXPECT_EQ(bans.banned(p, t0 + minutes(45)), "corrupt block");
  bans.unban(p);
  EXPECT_FALSE(bans.banned(p, t0));
}

TEST(PeerBans, BoundedByEvictingTheBanThatEndsFirst) {
  PeerBans bans(2);
  PeerId a = new_peer(), b = new_peer(), c = new_peer(), d = new_peer();
  bans.ban(a, t0 + minutes(10), "a");
  bans.ban(b, t0 + minutes(20), "b");
  bans.ban(c, t0 + minutes(30), "c");  // evicts a
  EXPECT_EQ(bans.size(), 2u);
  EXPECT_FALSE(bans.banned(a, t0));
  EXPECT_TRUE(bans.banned(b, t0));
  EXPECT_TRUE(bans.banned(c, t0));
  bans.ban(d, t0 + minutes(5), "d");  // shorter than every kept ban: not kept
  EXPECT_FALSE(bans.banned(d, t0));
  EXPECT_EQ(bans.size(), 2u);
}

}  // namespace
}  // namespace agora::host
