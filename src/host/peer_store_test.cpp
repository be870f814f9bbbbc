#include "host/peer_store.h"

#include <gtest/gtest.h>

#include "host/address_filter.h"

namespace agora::host {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
Multiaddr ma(std::string_view text) { return Multiaddr::parse(text).value(); }
std::vector<Multiaddr> one(std::string_view text) { return {ma(text)}; }
uint32_t src(PeerSource s) { return host::bit(s); }

const Instant t0 = Instant(seconds(1000));

TEST(AddressFilter, DialableTcp) {
  EXPECT_TRUE(is_dialable_tcp(ma("/ip4/192.168.1.2/tcp/4001")));
  EXPECT_TRUE(is_dialable_tcp(ma("/ip6/::1/tcp/4001")));
  EXPECT_TRUE(is_dialable_tcp(ma("/ip4/1.2.3.4/tcp/1/p2p/" + peer(1).to_string())));
  EXPECT_FALSE(is_dialable_tcp(ma("/ip4/0.0.0.0/tcp/4001")));
  EXPECT_FALSE(is_dialable_tcp(ma("/ip6/::/tcp/4001")));
  EXPECT_FALSE(is_dialable_tcp(ma("/ip4/1.2.3.4/tcp/0")));
  EXPECT_FALSE(is_dialable_tcp(ma("/ip4/224.0.0.251/tcp/5353")));
  EXPECT_FALSE(is_dialable_tcp(ma("/ip4/255.255.255.255/tcp/1")));
  EXPECT_FALSE(is_dialable_tcp(ma("/ip4/1.2.3.4/udp/4001/quic-v1")));
  EXPECT_FALSE(is_dialable_tcp(ma("/dns4/example.com/tcp/4001")));
}

TEST(AddressFilter, PrivateOrLoopback) {
  for (auto text : {"/ip4/127.0.0.1/tcp/1", "/ip4/10.1.2.3/tcp/1", "/ip4/172.16.0.1/tcp/1",
                    "/ip4/172.31.255.255/tcp/1", "/ip4/192.168.0.1/tcp/1", "/ip4/169.254.1.1/tcp/1",
                    "/ip4/100.64.0.1/tcp/1", "/ip4/192.0.2.2/tcp/1", "/ip6/::1/tcp/1",
                    "/ip6/fd00::2/tcp/1", "/ip6/fe80::1/tcp/1", "/ip6/::ffff:10.0.0.1/tcp/1"})
    EXPECT_TRUE(is_private_or_loopback(ma(text))) << text;
  for (auto text :
       {"/ip4/1.1.1.1/tcp/1", "/ip4/172.32.0.1/tcp/1", "/ip4/8.8.8.8/tcp/1",
        "/ip6/2606:4700::1111/tcp/1", "/ip6/::ffff:8.8.8.8/tcp/1", "/dns4/localhost/tcp/1"})
    EXPECT_FALSE(is_private_or_loopback(ma(text))) << text;
}

TEST(AddressFilter, AddressOf) {
  auto a = ma("/ip4/1.2.3.4/tcp/1");
  EXPECT_EQ(address_of(a, peer(1)), a);
  EXPECT_EQ(address_of(a.with_peer_id(peer(1)), peer(1)), a);
  EXPECT_FALSE(address_of(a.with_peer_id(peer(2)), peer(1)));
}

TEST(PeerStore, LearnsAddressesNewestFirstAndBounded) {
  PeerStore s({.addrs_per_peer_max = 2});
  ASSERT_TRUE(s.add_addrs(peer(1), one("/ip4/10.0.0.1/tcp/1"), src(PeerSource::mdns), 100));
  ASSERT_TRUE(s.add_addrs(peer(1), one("/ip4/10.0.0.2/tcp/1"), 0, 200));
  ASSERT_TRUE(s.add_addrs(peer(1), one("/ip4/10.0.0.1/tcp/1"), 0, 300));  // refreshed
  const PeerRecord* r = s.find(peer(1));
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->addrs.size(), 2u);
  EXPECT_EQ(r->addrs[0].addr, ma("/ip4/10.0.0.1/tcp/1"));
  EXPECT_EQ(r->addrs[0].last_seen_ms, 300);
  s.add_addrs(peer(1), one("/ip4/10.0.0.3/tcp/1"), 0, 400);
  ASSERT_EQ(r->addrs.size(), 2u);
  EXPECT_EQ(r->addrs[1].addr, ma("/ip4/10.0.0.1/tcp/1"));  // 10.0.0.2 was the oldest
  EXPECT_EQ(r->first_seen_ms, 100);
  EXPECT_EQ(r->last_seen_ms, 400);
  EXPECT_EQ(r->sources, src(PeerSource::mdns));
  EXPECT_EQ(s.stats().addrs_dropped, 1u);
}

TEST(PeerStore, DropsUndialableAndForeignAddresses) {
  PeerStore s;
  std::vector<Multiaddr> addrs = {
      ma("/ip4/0.0.0.0/tcp/1"), ma("/ip4/10.0.0.1/tcp/1").with_peer_id(peer(2)),
      ma("/ip4/10.0.0.2/tcp/1").with_peer_id(peer(1)), ma("/ip4/10.0.0.3/udp/1/quic-v1")};
  ASSERT_TRUE(s.add_addrs(peer(1), addrs, 0, 1));
  ASSERT_EQ(s.find(peer(1))->addrs.size(), 1u);
  EXPECT_EQ(s.find(peer(1))->addrs[0].addr, ma("/ip4/10.0.0.2/tcp/1"));
  EXPECT_EQ(s.stats().addrs_dropped, 3u);
  EXPECT_EQ(s.dial_addrs(peer(1)), (std::vector<Multiaddr>{addrs[2]}));
}

TEST(PeerStore, EvictsLeastRecentlySeenUnconnectedPeer) {
  PeerStore s({.peers_max = 3});
  s.add_addrs(peer(1), one("/ip4/10.0.0.1/tcp/1"), src(PeerSource::bootstrap), 10);
  s.add_addrs(peer(2), one("/ip4/10.0.0.2/tcp/1"), 0, 20);
  s.add_addrs(peer(3), one("/ip4/10.0.0.3/tcp/1"), 0, 30);
  s.on_connected(peer(2), {}, src(PeerSource::inbound), 40);
  (void)s.take_changes();
  // Full: peer 2 is connected, peer 1 is a bootstrap peer, so peer 3 goes.
  ASSERT_TRUE(s.add_addrs(peer(4), one("/ip4/10.0.0.4/tcp/1"), 0, 50));
  EXPECT_EQ(s.find(peer(3)), nullptr);
  auto changes = s.take_changes();
  EXPECT_EQ(changes.removed, (std::vector<PeerId>{peer(3)}));
  ASSERT_EQ(changes.changed.size(), 1u);
  EXPECT_EQ(changes.changed[0].peer, peer(4));
  // Next peer 4 goes, although the bootstrap peer was seen longer ago.
  ASSERT_TRUE(s.add_addrs(peer(5), one("/ip4/10.0.0.5/tcp/1"), 0, 60));
  EXPECT_EQ(s.find(peer(4)), nullptr);
  EXPECT_NE(s.find(peer(1)), nullptr);
  EXPECT_EQ(s.stats().peers_evicted, 2u);
}

TEST(PeerStore, EvictsPeersWithoutAddressesFirst) {
  PeerStore s({.peers_max = 2});
  s.add_addrs(peer(1), one("/ip4/10.0.0.1/tcp/1"), 0, 10);    // older, but dialable
  s.on_connected(peer(2), {}, src(PeerSource::inbound), 20);  // an inbound stranger
  s.on_disconnected(peer(2), 30, t0);
  ASSERT_TRUE(s.add_addrs(peer(3), one("/ip4/10.0.0.3/tcp/1"), 0, 40));
  EXPECT_EQ(s.find(peer(2)), nullptr);
  EXPECT_NE(s.find(peer(1)), nullptr);
}

TEST(PeerStore, RefusesNewPeersWhenAllAreConnected) {
  PeerStore s({.peers_max = 1});
  s.on_connected(peer(1), {}, src(PeerSource::inbound), 1);
  EXPECT_FALSE(s.add_addrs(peer(2), one("/ip4/10.0.0.2/tcp/1"), 0, 2));
  s.on_connected(peer(2), {}, src(PeerSource::inbound), 3);  // no room: not tracked
  EXPECT_EQ(s.find(peer(2)), nullptr);
  EXPECT_EQ(s.stats().peers_refused, 2u);
  EXPECT_EQ(s.size(), 1u);
}

TEST(PeerStore, IdentifyIsCleanedSortedAndBounded) {
  PeerStore s({.protocols_per_peer_max = 2, .protocol_bytes_max = 10, .agent_bytes_max = 6});
  s.add_addrs(peer(1), one("/ip4/10.0.0.1/tcp/1"), 0, 1);
  std::vector<std::string> protocols = {"/b/1", "/a/1", "/b/1", "", "/bad\n", "/waytoolong/1.0",
                                        "/c/1"};
  s.set_identify(peer(1), protocols, "agora/\x01zzzz", 2);
  const PeerRecord* r = s.find(peer(1));
  EXPECT_EQ(r->protocols, (std::vector<std::string>{"/a/1", "/b/1"}));
  EXPECT_EQ(r->agent, "agora/");
  EXPECT_EQ(s.stats().protocols_dropped, 4u);  // "", "/bad\n", too long, and "/c/1" over max
  s.set_identify(peer(9), protocols, "x", 3);  // unknown peer: ignored
  EXPECT_EQ(s.find(peer(9)), nullptr);
}

TEST(PeerStore, DialCandidatesRespectConnectionsAndBackoff) {
  PeerStore s({.dial_backoff_min = seconds(30),
               .dial_backoff_max = minutes(2),
               .redial_after_close = minutes(5)});
  s.add_addrs(peer(1), one("/ip4/10.0.0.1/tcp/1"), 0, 10);
  s.add_addrs(peer(2), one("/ip4/10.0.0.2/tcp/1"), 0, 30);
  s.add_addrs(peer(3), one("/ip4/10.0.0.3/tcp/1"), src(PeerSource::bootstrap), 5);
  s.add_addrs(peer(4), {}, 0, 40);  // no address: never a candidate
  EXPECT_EQ(s.dial_candidates(10, t0), (std::vector<PeerId>{peer(3), peer(2), peer(1)}));
  EXPECT_EQ(s.dial_candidates(1, t0), (std::vector<PeerId>{peer(3)}));

  s.on_dial_failed(peer(3), t0);
  EXPECT_EQ(s.dial_candidates(10, t0 + seconds(29)), (std::vector<PeerId>{peer(2), peer(1)}));
  EXPECT_EQ(s.dial_candidates(1, t0 + seconds(30)), (std::vector<PeerId>{peer(3)}));
  s.on_dial_failed(peer(3), t0 + seconds(30));  // second failure: 60 s
  EXPECT_EQ(s.dial_candidates(1, t0 + seconds(89)), (std::vector<PeerId>{peer(2)}));
  EXPECT_EQ(s.dial_candidates(1, t0 + seconds(90)), (std::vector<PeerId>{peer(3)}));
  for (int i = 0; i < 10; ++i) s.on_dial_failed(peer(3), t0);  // capped at dial_backoff_max
  EXPECT_EQ(s.dial_candidates(1, t0 + minutes(2)), (std::vector<PeerId>{peer(3)}));

  s.on_connected(peer(2), ma("/ip4/10.0.0.9/tcp/9"), src(PeerSource::manual), 50);
  EXPECT_TRUE(s.connected(peer(2)));
  EXPECT_EQ(s.dial_candidates(10, t0 + minutes(2)), (std::vector<PeerId>{peer(3), peer(1)}));
  EXPECT_EQ(s.find(peer(2))->addrs[0].addr, ma("/ip4/10.0.0.9/tcp/9"));  // what worked, first
  s.on_disconnected(peer(2), 60, t0 + minutes(3));
  EXPECT_FALSE(s.connected(peer(2)));
  EXPECT_EQ(s.find(peer(2))->last_seen_ms, 60);
  EXPECT_EQ(s.dial_candidates(1, t0 + minutes(3)).front(), peer(3));
  s.on_connected(peer(1), {}, 0, 70);
  (void)s.take_changes();
  s.touch_connected(80);
  auto touched = s.take_changes();
  ASSERT_EQ(touched.changed.size(), 1u);
  EXPECT_EQ(touched.changed[0].peer, peer(1));
  EXPECT_EQ(touched.changed[0].last_seen_ms, 80);
  auto later = s.dial_candidates(10, t0 + minutes(8));
  EXPECT_NE(std::find(later.begin(), later.end(), peer(2)), later.end());
}

TEST(PeerStore, ChangesAndLoadRoundTrip) {
  PeerStore s;
  s.add_addrs(peer(1), one("/ip4/10.0.0.1/tcp/1"), src(PeerSource::mdns), 10);
  s.add_addrs(peer(2), one("/ip4/10.0.0.2/tcp/1"), src(PeerSource::dht), 20);
  s.set_latency(peer(1), std::chrono::microseconds(1500));
  std::vector<std::string> protocols = {"/ipfs/id/1.0.0"};
  s.set_identify(peer(1), protocols, "agora/0.1.0", 30);
  auto changes = s.take_changes();
  EXPECT_EQ(changes.changed.size(), 2u);
  EXPECT_TRUE(s.take_changes().empty());
  EXPECT_TRUE(s.remove(peer(2)));
  EXPECT_FALSE(s.remove(peer(2)));
  EXPECT_EQ(s.take_changes().removed, (std::vector<PeerId>{peer(2)}));
  s.remove_sources(peer(1), src(PeerSource::mdns));
  EXPECT_EQ(s.find(peer(1))->sources, 0u);

  PeerStore loaded;
  loaded.load(s.list());
  EXPECT_TRUE(loaded.take_changes().empty());  // loading is not a change
  ASSERT_NE(loaded.find(peer(1)), nullptr);
  EXPECT_EQ(*loaded.find(peer(1)), *s.find(peer(1)));
  EXPECT_EQ(loaded.find(peer(1))->latency_us, 1500);
}

TEST(PeerStore, LoadReappliesLimits) {
  std::vector<PeerRecord> records;
  for (uint8_t i = 1; i <= 5; ++i) {
    PeerRecord r;
    r.peer = peer(i);
    r.last_seen_ms = 100 - i;
    r.addrs = {{ma("/ip4/10.0.0.1/tcp/1"), 1},
               {ma("/ip4/0.0.0.0/tcp/1"), 2},
               {ma("/ip4/10.0.0.3/tcp/1"), 3}};
    r.protocols = {"/z", "/a"};
    records.push_back(r);
  }
  PeerStore s({.peers_max = 3, .addrs_per_peer_max = 1});
  s.load(records);
  EXPECT_EQ(s.size(), 3u);
  const PeerRecord* r = s.find(peer(1));
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->addrs.size(), 1u);
  EXPECT_EQ(r->addrs[0].addr, ma("/ip4/10.0.0.3/tcp/1"));  // the most recently seen
  EXPECT_EQ(r->protocols, (std::vector<std::string>{"/a", "/z"}));
  EXPECT_EQ(s.find(peer(4)), nullptr);
}

}  // namespace
}  // namespace agora::host
