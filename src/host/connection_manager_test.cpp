#include "host/connection_manager.h"

#include <gtest/gtest.h>

#include <vector>

namespace agora::host {
namespace {

using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

ConnectionManager make(size_t low, size_t high, Duration grace = seconds(20)) {
  auto m = ConnectionManager::create({.low_water = low,
                                      .high_water = high,
                                      .grace_period = grace,
                                      .silence_period = seconds(10),
                                      .check_interval = seconds(5)});
  EXPECT_TRUE(m.ok());
  return std::move(m).value();
}

std::vector<uint64_t> drain(ConnectionManager& m) {
  std::vector<uint64_t> out;
  while (auto t = m.poll_trim()) out.push_back(t->connection);
  return out;
}

const Instant t0 = Instant(seconds(1000));

TEST(ConnectionManager, RejectsBadWatermarks) {
  EXPECT_FALSE(ConnectionManager::create({.low_water = 5, .high_water = 4}).ok());
  EXPECT_FALSE(ConnectionManager::create({.low_water = 0, .high_water = 0}).ok());
  EXPECT_TRUE(ConnectionManager::create({.low_water = 4, .high_water = 4}).ok());
}

TEST(ConnectionManager, NoTrimAtOrBelowHighWater) {
  auto m = make(2, 4);
  for (uint64_t i = 1; i <= 4; ++i) m.on_opened(i, peer(uint8_t(i)), true, t0);
  m.on_timer(t0 + seconds(60));
  EXPECT_TRUE(drain(m).empty());
}

TEST(ConnectionManager, TrimsDownToLowWaterAfterGrace) {
  auto m = make(2, 4);
  for (uint64_t i = 1; i <= 6; ++i) m.on_opened(i, peer(uint8_t(i)), true, t0);
  // All six are in their grace period: nothing goes, and the manager asks to be woken when the
  // grace ends.
  EXPECT_LE(m.next_timer(), t0);
  m.on_timer(t0);
  EXPECT_TRUE(drain(m).empty());
  EXPECT_EQ(m.next_timer(), t0 + seconds(5));  // periodic check comes first anyway
  m.on_timer(t0 + seconds(5));
  EXPECT_EQ(m.next_timer(), t0 + seconds(10));
  m.on_timer(t0 + seconds(19));
  EXPECT_TRUE(drain(m).empty());
  EXPECT_EQ(m.next_timer(), t0 + seconds(20));
  m.on_timer(t0 + seconds(20));
  auto trimmed = drain(m);
  EXPECT_EQ(trimmed.size(), 4u);  // 6 -> low water 2
  EXPECT_EQ(m.connections(), 2u);
  for (uint64_t id : trimmed) m.on_closed(id);
  EXPECT_EQ(m.connections(), 2u);
  EXPECT_EQ(m.stats().connections_trimmed, 4u);
}

TEST(ConnectionManager, TrimsLeastUsefulFirst) {
  auto m = make(1, 2, seconds(0));
  m.on_opened(1, peer(1), false, t0);               // outbound, busy
  m.on_opened(2, peer(2), true, t0);                // inbound, idle
  m.on_opened(3, peer(3), false, t0);               // outbound, idle, older
  m.on_opened(4, peer(4), false, t0 + seconds(1));  // outbound, idle, younger
  m.on_activity(1, 3, 1000);
  m.on_activity(2, 0, 0);
  m.on_activity(3, 0, 0);
  m.on_activity(4, 0, 0);
  m.on_timer(t0 + seconds(2));
  // Inbound idle first, then the younger idle outbound, then the older.
  EXPECT_EQ(drain(m), (std::vector<uint64_t>{2, 4, 3}));
}

TEST(ConnectionManager, RecentBytesBreakTies) {
  auto m = make(1, 1, seconds(0));
  m.on_opened(1, peer(1), true, t0);
  m.on_opened(2, peer(2), true, t0);
  m.on_activity(1, 0, 5000);
  m.on_activity(2, 0, 100);
  m.on_activity(1, 0, 5000);  // quiet since the last sample
  m.on_activity(2, 0, 900);   // moved 800 bytes since
  m.on_timer(t0 + seconds(1));
  EXPECT_EQ(drain(m), (std::vector<uint64_t>{1}));
}

TEST(ConnectionManager, ProtectedPeersAreNeverTrimmed) {
  auto m = make(0, 1, seconds(0));
  m.on_opened(1, peer(1), true, t0);
  m.on_opened(2, peer(2), true, t0);
  m.on_opened(3, peer(2), true, t0);  // a second connection to the protected peer
  ASSERT_TRUE(m.protect(peer(2), "bitswap").ok());
  ASSERT_TRUE(m.protect(peer(2), "user").ok());
  m.on_timer(t0 + seconds(1));
  EXPECT_EQ(drain(m), (std::vector<uint64_t>{1}));
  m.on_closed(1);
  // Unprotecting one tag keeps the other.
  EXPECT_TRUE(m.unprotect(peer(2), "user"));
  m.on_timer(t0 + seconds(30));
  EXPECT_TRUE(drain(m).empty());
  EXPECT_FALSE(m.unprotect(peer(2), "bitswap"));
  EXPECT_FALSE(m.is_protected(peer(2)));
  m.on_timer(t0 + seconds(60));
  EXPECT_EQ(drain(m).size(), 2u);
}

TEST(ConnectionManager, ProtectionIsBounded) {
  auto m = ConnectionManager::create({.low_water = 1,
                                      .high_water = 2,
                                      .protected_peers_max = 2,
                                      .protection_tags_per_peer_max = 1,
                                      .protection_tag_bytes_max = 4})
               .value();
  EXPECT_TRUE(m.protect(peer(1), "a").ok());
  EXPECT_TRUE(m.protect(peer(1), "a").ok());  // idempotent
  EXPECT_EQ(m.protect(peer(1), "b").error().code, Errc::limit);
  EXPECT_TRUE(m.protect(peer(2), "a").ok());
  auto over = m.protect(peer(3), "a");
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("protected_peers_max"), std::string::npos);
  EXPECT_EQ(m.protect(peer(3), "").error().code, Errc::invalid_input);
  EXPECT_EQ(m.protect(peer(3), "toolong").error().code, Errc::invalid_input);
}

TEST(ConnectionManager, SilencePeriodSpacesTrims) {
  auto m = make(1, 2, seconds(0));
  for (uint64_t i = 1; i <= 3; ++i) m.on_opened(i, peer(uint8_t(i)), true, t0);
  m.on_timer(t0);
  EXPECT_EQ(drain(m).size(), 2u);
  for (uint64_t i = 4; i <= 6; ++i) m.on_opened(i, peer(uint8_t(i)), true, t0 + seconds(1));
  EXPECT_EQ(m.connections(), 4u);
  m.on_timer(t0 + seconds(1));
  EXPECT_TRUE(drain(m).empty());  // within 10 s of the last trim
  EXPECT_EQ(m.next_timer(), t0 + seconds(6));
  m.on_timer(t0 + seconds(6));
  EXPECT_EQ(m.next_timer(), t0 + seconds(10));
  m.on_timer(t0 + seconds(10));
  EXPECT_EQ(drain(m).size(), 3u);
}

TEST(ConnectionManager, AsksForDialsBelowLowWater) {
  auto m = ConnectionManager::create({.low_water = 20,
                                      .high_water = 40,
                                      .check_interval = seconds(5),
                                      .dials_per_check_max = 8})
               .value();
  m.on_timer(t0);
  EXPECT_EQ(m.take_dial_budget(), 8u);  // capped per check
  EXPECT_EQ(m.take_dial_budget(), 0u);
  for (int i = 0; i < 8; ++i) m.on_dial_started();
  for (uint64_t i = 1; i <= 10; ++i) m.on_opened(i, peer(uint8_t(i)), false, t0);
  m.on_timer(t0 + seconds(1));  // not yet the next periodic check
  EXPECT_EQ(m.take_dial_budget(), 0u);
  m.on_timer(t0 + seconds(5));
  EXPECT_EQ(m.take_dial_budget(), 2u);  // 20 - (10 open + 8 pending)
  for (int i = 0; i < 8; ++i) m.on_dial_finished();
  m.on_timer(t0 + seconds(10));
  EXPECT_EQ(m.take_dial_budget(), 8u);
  for (uint64_t i = 11; i <= 20; ++i) m.on_opened(i, peer(uint8_t(i)), false, t0);
  m.on_timer(t0 + seconds(15));
  EXPECT_EQ(m.take_dial_budget(), 0u);
}

TEST(ConnectionManager, ClosedConnectionsAreForgotten) {
  auto m = make(0, 1, seconds(0));
  m.on_opened(1, peer(1), true, t0);
  m.on_opened(2, peer(2), true, t0);
  m.on_closed(2);
  m.on_closed(2);   // twice is harmless
  m.on_closed(99);  // unknown is harmless
  m.on_activity(99, 1, 1);
  m.on_timer(t0 + seconds(1));
  EXPECT_TRUE(drain(m).empty());
  EXPECT_EQ(m.connections(), 1u);
}

}  // namespace
}  // namespace agora::host
