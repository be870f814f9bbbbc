// Provider-store poisoning, with explicit time: quotas per peer and per IP group, eviction of
// the largest contributor, a full key replacing its oldest record, the ADD_PROVIDER rate limit
// and the ban of a peer that keeps overflowing.
#include <gtest/gtest.h>

#include "proto/kad/providers.h"
#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using test::at;
using test::events_of;
using test::info;
using test::kT0;

const Bytes kNetA{4, 10, 0, 1};  // 10.0.1.0/24
const Bytes kNetB{4, 10, 0, 2};
const Bytes kNetC{4, 10, 0, 3};

Bytes key_n(int n) { return test::content_key("key " + std::to_string(n)); }
Instant tick(int n) { return at(seconds(n)); }

bool holds(const ProviderStore& s, const Bytes& key, const PeerId& peer, Instant now) {
  for (const PeerInfo& p : s.providers(key, now))
    if (p.id == peer) return true;
  return false;
}

TEST(KadProviderQuota, PerPeerQuotaRefusesOnlyThatPeer) {
  ProviderStoreConfig c;
  c.records_per_peer_max = 3;
  ProviderStore s(c);
  const PeerId spammer = test::peer(1), honest = test::peer(2);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.add(key_n(i), info(spammer), kNetA, tick(i)).ok());
  auto over = s.add(key_n(3), info(spammer), kNetA, tick(3));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::limit);
  EXPECT_NE(over.error().message.find("records_per_peer_max"), std::string::npos);
  EXPECT_TRUE(s.add(key_n(2), info(spammer), kNetA, tick(4)).ok());  // a refresh still counts
  EXPECT_TRUE(s.add(key_n(3), info(honest), kNetA, tick(5)).ok());
  EXPECT_EQ(s.peer_record_count(spammer), 3u);
  EXPECT_TRUE(s.take_evicted().empty());
}

// Loading from the database goes newest first: a full quota refuses the older rows instead of
// evicting the newer ones already loaded.
TEST(KadProviderQuota, RestoreRefusesOlderRowsInsteadOfEvictingNewerOnes) {
  ProviderStoreConfig c;
  c.records_per_ip_group_max = 2;
  ProviderStore s(c);
  const PeerId a = test::peer(1), b = test::peer(2);
  ASSERT_TRUE(s.restore(key_n(0), info(a), kNetA, tick(30)).ok());
  ASSERT_TRUE(s.restore(key_n(1), info(b), kNetA, tick(20)).ok());
  auto older = s.restore(key_n(2), info(a), kNetA, tick(10));
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.error().code, Errc::limit);
  EXPECT_TRUE(s.take_evicted().empty());
  EXPECT_TRUE(holds(s, key_n(0), a, tick(31)));
  EXPECT_TRUE(holds(s, key_n(1), b, tick(31)));
}

TEST(KadProviderQuota, FullIpGroupEvictsItsLargestPeer) {
  ProviderStoreConfig c;
  c.records_per_ip_group_max = 4;
  ProviderStore s(c);
  const PeerId big = test::peer(1), small = test::peer(2), late = test::peer(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.add(key_n(i), info(big), kNetA, tick(i)).ok());
  ASSERT_TRUE(s.add(key_n(10), info(small), kNetA, tick(3)).ok());
  // The group is full: a newcomer from it takes the place of the largest peer's oldest record.
  ASSERT_TRUE(s.add(key_n(20), info(late), kNetA, tick(4)).ok());
  EXPECT_EQ(s.take_evicted(), (std::vector<EvictedProvider>{{key_n(0), big}}));
  EXPECT_EQ(s.record_count(), 4u);
  EXPECT_TRUE(holds(s, key_n(10), small, tick(5)));
  // The largest peer itself is refused rather than evicting others.
  auto own = s.add(key_n(5), info(big), kNetA, tick(5));
  ASSERT_FALSE(own.ok());
  EXPECT_NE(own.error().message.find("records_per_ip_group_max"), std::string::npos);
  // Another network is not affected.
  EXPECT_TRUE(s.add(key_n(5), info(test::peer(4)), kNetB, tick(6)).ok());
  EXPECT_TRUE(s.take_evicted().empty());
}

TEST(KadProviderQuota, FullStoreEvictsTheLargestContributorNotTheNewcomer) {
  ProviderStoreConfig c;
  c.records_max = 6;
  ProviderStore s(c);
  const PeerId x = test::peer(1), y = test::peer(2), honest = test::peer(3);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.add(key_n(i), info(x), kNetA, tick(i)).ok());
  for (int i = 3; i < 5; ++i) ASSERT_TRUE(s.add(key_n(i), info(y), kNetA, tick(i)).ok());
  ASSERT_TRUE(s.add(key_n(9), info(honest), kNetB, tick(5)).ok());
  // Full: the newcomer from a third network gets in; network A's largest peer (x) pays.
  ASSERT_TRUE(s.add(key_n(10), info(test::peer(4)), kNetC, tick(6)).ok());
  EXPECT_EQ(s.take_evicted(), (std::vector<EvictedProvider>{{key_n(0), x}}));
  EXPECT_EQ(s.record_count(), 6u);
  EXPECT_TRUE(holds(s, key_n(9), honest, tick(7)));
  // Network A is still the largest: its peers pay for newcomers from elsewhere.
  ASSERT_TRUE(s.add(key_n(11), info(test::peer(5)), kNetC, tick(11)).ok());
  ASSERT_TRUE(s.add(key_n(12), info(test::peer(6)), kNetC, tick(12)).ok());
  EXPECT_EQ(s.take_evicted().size(), 2u);
  EXPECT_TRUE(holds(s, key_n(9), honest, tick(20)));
  // The largest contributor itself is refused when the store is full.
  ProviderStore t(c);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(t.add(key_n(i), info(x), kNetA, tick(i)).ok());
  ASSERT_TRUE(t.add(key_n(9), info(honest), kNetB, tick(5)).ok());
  auto full = t.add(key_n(30), info(x), kNetA, tick(6));
  ASSERT_FALSE(full.ok());
  EXPECT_NE(full.error().message.find("records_max"), std::string::npos);
  EXPECT_TRUE(t.take_evicted().empty());
}

TEST(KadProviderQuota, FullKeyReplacesTheOldestOfItsLargestGroup) {
  ProviderStoreConfig c;
  c.providers_per_key_max = 3;
  ProviderStore s(c);
  const Bytes key = key_n(1);
  const PeerId honest = test::peer(100);
  // Throwaway identities of one network fill the key.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(s.add(key, info(test::peer(i)), kNetA, tick(i)).ok());
  ASSERT_TRUE(s.add(key, info(honest), kNetB, tick(3)).ok());
  EXPECT_EQ(s.take_evicted(), (std::vector<EvictedProvider>{{key, test::peer(0)}}));
  // More throwaway identities replace each other, not the honest provider.
  for (int i = 3; i < 20; ++i) {
    ASSERT_TRUE(s.add(key, info(test::peer(i)), kNetA, tick(10 + i)).ok());
    ASSERT_TRUE(holds(s, key, honest, tick(40))) << i;
  }
  EXPECT_EQ(s.providers(key, tick(40)).size(), 3u);
  // Providers from distinct networks: the oldest record is replaced.
  ProviderStore d(c);
  ASSERT_TRUE(d.add(key, info(test::peer(1)), kNetA, tick(1)).ok());
  ASSERT_TRUE(d.add(key, info(test::peer(2)), kNetB, tick(0)).ok());
  ASSERT_TRUE(d.add(key, info(test::peer(3)), kNetC, tick(2)).ok());
  ASSERT_TRUE(d.add(key, info(test::peer(4)), Bytes{4, 1, 2, 3}, tick(3)).ok());
  EXPECT_EQ(d.take_evicted(), (std::vector<EvictedProvider>{{key, test::peer(2)}}));
}

TEST(KadProviderQuota, OwnRecordsAreNeverEvicted) {
  ProviderStoreConfig c;
  c.records_max = 2;
  c.providers_per_key_max = 1;
  ProviderStore s(c);
  const PeerId self = test::peer(0);
  ASSERT_TRUE(s.add_own(key_n(1), info(self), kT0).ok());
  EXPECT_FALSE(s.add(key_n(1), info(test::peer(1)), kNetA, tick(1)).ok());  // key full: ours
  ASSERT_TRUE(s.add(key_n(2), info(test::peer(1)), kNetA, tick(2)).ok());
  ASSERT_TRUE(s.add_own(key_n(3), info(self), tick(3)).ok());  // evicts peer 1's record
  EXPECT_EQ(s.take_evicted(), (std::vector<EvictedProvider>{{key_n(2), test::peer(1)}}));
  EXPECT_FALSE(s.add(key_n(4), info(test::peer(2)), kNetB, tick(4)).ok());
  EXPECT_EQ(s.record_count(), 2u);
}

TEST(KadProviderQuota, RemovePeerListsEveryRecord) {
  ProviderStore s;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(s.add(key_n(i), info(test::peer(1)), kNetA, kT0).ok());
  ASSERT_TRUE(s.add(key_n(0), info(test::peer(2)), kNetA, kT0).ok());
  EXPECT_EQ(s.remove_peer(test::peer(1)), 5u);
  EXPECT_EQ(s.take_evicted().size(), 5u);
  EXPECT_EQ(s.record_count(), 1u);
  EXPECT_EQ(s.key_count(), 1u);
  EXPECT_EQ(s.peer_record_count(test::peer(1)), 0u);
}

TEST(KadProviderQuota, GateRefillsAtItsRateAndForgetsIdlePeers) {
  AddProviderGate g({/*rate_per_s=*/2, /*burst=*/3, /*overflows_before_ban=*/100, minutes(10),
                     /*peers_max=*/2});
  const PeerId p = test::peer(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(g.admit(p, kT0));
  EXPECT_FALSE(g.admit(p, kT0));
  EXPECT_FALSE(g.admit(p, at(std::chrono::milliseconds(400))));
  EXPECT_TRUE(g.admit(p, at(std::chrono::milliseconds(600))));  // two tokens a second
  EXPECT_FALSE(g.admit(p, at(std::chrono::milliseconds(600))));
  EXPECT_TRUE(g.admit(test::peer(2), kT0));
  EXPECT_EQ(g.tracked(), 2u);
  // A third peer: the others are idle and refilled by now, so they are forgotten.
  EXPECT_TRUE(g.admit(test::peer(3), at(minutes(20))));
  EXPECT_EQ(g.tracked(), 1u);
}

// Identities beyond peers_max, while the tracked ones are active, share one bucket: a horde of
// fresh identities is rate-limited together, not let through unlimited, and never banned.
TEST(KadProviderQuota, GateRateLimitsUntrackedPeersTogether) {
  AddProviderGate g({/*rate_per_s=*/1, /*burst=*/2, /*overflows_before_ban=*/1, minutes(10),
                     /*peers_max=*/2});
  EXPECT_TRUE(g.admit(test::peer(1), kT0));
  EXPECT_TRUE(g.admit(test::peer(2), kT0));
  EXPECT_TRUE(g.admit(test::peer(3), kT0));
  EXPECT_TRUE(g.admit(test::peer(4), kT0));
  EXPECT_FALSE(g.admit(test::peer(5), kT0));  // the shared bucket's burst is spent
  EXPECT_EQ(g.tracked(), 2u);
  EXPECT_FALSE(g.overflowed(test::peer(6), kT0));  // no identity to ban
  EXPECT_TRUE(g.admit(test::peer(7), at(seconds(1))));
}

// The core: ADD_PROVIDER through handle_request.
Message add_provider(const Bytes& key, const PeerId& from) {
  Message m;
  m.type = MessageType::add_provider;
  m.key = key;
  m.provider_peers = {to_peer(info(from))};
  return m;
}

TEST(KadProviderQuota, CoreRateLimitsAddProviderPerPeer) {
  KadConfig c;
  c.add_provider_rate_per_s = 1;
  c.add_provider_burst = 2;
  Kad kad(test::peer(0), c);
  const PeerId p = test::peer(1);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(kad.handle_request(p, kNetA, add_provider(key_n(i), p), kT0).ok());
  EXPECT_EQ(kad.providers().record_count(), 2u);
  auto rejected = events_of<InboundRejected>(kad);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].kind, RejectKind::rate_limited);
  EXPECT_EQ(kad.stats().providers_rate_limited, 1u);
  // Another peer has its own bucket; the first gets a token back after a second.
  ASSERT_TRUE(
      kad.handle_request(test::peer(2), kNetB, add_provider(key_n(5), test::peer(2)), kT0).ok());
  ASSERT_TRUE(kad.handle_request(p, kNetA, add_provider(key_n(3), p), at(seconds(1))).ok());
  EXPECT_EQ(kad.providers().record_count(), 4u);
}

// With the event queue full of other events, the ban and every eviction still reach the service:
// a dropped ban left the peer connected, a dropped eviction left its record in agora.db.
TEST(KadProviderQuota, BanAndEvictionsAreNeverDroppedAndTheBanComesFirst) {
  KadConfig c;
  c.provider_records_per_peer_max = 10;
  c.provider_overflows_before_ban = 1;
  c.events_max = 4;
  Kad kad(test::peer(0), c);
  const PeerId spammer = test::peer(1);
  for (int i = 0; i < 11; ++i)
    ASSERT_TRUE(kad.handle_request(spammer, kNetA, add_provider(key_n(i), spammer), tick(i)).ok());
  std::vector<KadEvent> events;
  while (auto e = kad.poll_event()) events.push_back(std::move(*e));
  size_t banned_at = events.size(), evicted = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (std::holds_alternative<PeerBanned>(events[i]) && banned_at == events.size()) banned_at = i;
    if (std::holds_alternative<ProviderEvicted>(events[i])) {
      ++evicted;
      EXPECT_LT(banned_at, i);
    }
  }
  ASSERT_LT(banned_at, events.size());
  EXPECT_EQ(evicted, 10u);
}

TEST(KadProviderQuota, CoreBansAPeerThatKeepsOverflowing) {
  KadConfig c;
  c.provider_records_per_peer_max = 2;
  c.provider_overflows_before_ban = 3;
  Kad kad(test::peer(0), c);
  const PeerId spammer = test::peer(1), honest = test::peer(2);
  ASSERT_TRUE(kad.handle_request(honest, kNetB, add_provider(key_n(0), honest), kT0).ok());
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(kad.handle_request(spammer, kNetA, add_provider(key_n(i), spammer), tick(i)).ok());
  EXPECT_TRUE(events_of<PeerBanned>(kad).empty());  // two overflows so far
  ASSERT_TRUE(kad.handle_request(spammer, kNetA, add_provider(key_n(9), spammer), tick(5)).ok());
  std::vector<ProviderEvicted> evicted;
  std::vector<PeerBanned> banned;
  while (auto e = kad.poll_event()) {
    if (auto* x = std::get_if<ProviderEvicted>(&*e)) evicted.push_back(*x);
    if (auto* x = std::get_if<PeerBanned>(&*e)) banned.push_back(*x);
  }
  ASSERT_EQ(banned.size(), 1u);
  EXPECT_EQ(banned[0].peer, spammer);
  EXPECT_EQ(evicted.size(), 2u);  // its records go with it
  EXPECT_EQ(kad.providers().peer_record_count(spammer), 0u);
  EXPECT_EQ(kad.providers().record_count(), 1u);  // the honest one stays
  EXPECT_EQ(kad.stats().peers_banned, 1u);
  EXPECT_EQ(kad.stats().providers_over_quota, 3u);
  // What it sends until the runtime has cut it off, and for overflow_window after, is refused.
  auto late = kad.handle_request(spammer, kNetA, add_provider(key_n(20), spammer), tick(6));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, Errc::limit);
  EXPECT_EQ(kad.providers().peer_record_count(spammer), 0u);
  EXPECT_TRUE(kad.handle_request(spammer, kNetA, add_provider(key_n(20), spammer),
                                 tick(6) + c.provider_overflow_window)
                  .ok());
  EXPECT_EQ(kad.providers().peer_record_count(spammer), 1u);
}

TEST(KadProviderQuota, OverflowsOutsideTheWindowDoNotBan) {
  KadConfig c;
  c.provider_records_per_peer_max = 1;
  c.provider_overflows_before_ban = 3;
  c.provider_overflow_window = minutes(10);
  Kad kad(test::peer(0), c);
  const PeerId p = test::peer(1);
  ASSERT_TRUE(kad.handle_request(p, kNetA, add_provider(key_n(0), p), kT0).ok());
  for (int round = 0; round < 3; ++round)
    for (int i = 1; i <= 2; ++i)
      ASSERT_TRUE(
          kad.handle_request(p, kNetA, add_provider(key_n(i), p), at(minutes(11 * round))).ok());
  EXPECT_TRUE(events_of<PeerBanned>(kad).empty());
  EXPECT_EQ(kad.stats().peers_banned, 0u);
}

}  // namespace
}  // namespace agora::kad
