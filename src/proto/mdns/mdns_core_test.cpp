#include "proto/mdns/mdns_core.h"

#include <gtest/gtest.h>

#include <set>

namespace agora::mdns {
namespace {

using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
Multiaddr addr(std::string_view text) { return Multiaddr::parse(text).value(); }
const Instant kT0 = Instant{} + seconds(1000);

MdnsCore make_core(uint8_t n, MdnsConfig config = {}) {
  config.seed = n;
  auto core = MdnsCore::create(peer(n), std::move(config));
  EXPECT_TRUE(core.ok()) << core.error().to_string();
  return std::move(core).value();
}

std::vector<Bytes> drain_sends(MdnsCore& core) {
  std::vector<Bytes> out;
  while (auto d = core.poll_send()) out.push_back(std::move(*d));
  return out;
}
std::vector<MdnsEvent> drain_events(MdnsCore& core) {
  std::vector<MdnsEvent> out;
  while (auto e = core.poll_event()) out.push_back(std::move(*e));
  return out;
}
bool is_query(const Bytes& d) { return !decode_message(d)->is_response(); }

// A multicast group on one link: every datagram reaches every member, its sender included
// (IP_MULTICAST_LOOP), until nobody has anything left to send.
void deliver_all(std::vector<MdnsCore*> cores, Instant now) {
  for (int round = 0; round < 16; ++round) {
    std::vector<Bytes> wire;
    for (MdnsCore* c : cores)
      for (Bytes& d : drain_sends(*c)) wire.push_back(std::move(d));
    if (wire.empty()) return;
    for (const Bytes& d : wire)
      for (MdnsCore* c : cores) ASSERT_TRUE(c->on_datagram(d, now).ok());
  }
  FAIL() << "datagrams still flowing after 16 rounds";
}

// Fires every core's due timers at `now`, then lets the datagrams flow.
void step_to(std::vector<MdnsCore*> cores, Instant now) {
  for (MdnsCore* c : cores) c->on_timer(now);
  deliver_all(cores, now);
}

TEST(MdnsCore, QueriesAtStartAndEveryInterval) {
  MdnsCore core = make_core(1);
  EXPECT_EQ(core.next_timer(), std::nullopt);
  core.start(kT0);
  auto sent = drain_sends(core);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0], build_query(*Name::parse(kServiceName)));
  EXPECT_EQ(core.next_timer(), kT0 + seconds(10));
  core.on_timer(kT0 + seconds(9));
  EXPECT_TRUE(drain_sends(core).empty());
  core.on_timer(kT0 + seconds(10));
  EXPECT_EQ(drain_sends(core).size(), 1u);
  EXPECT_EQ(core.next_timer(), kT0 + seconds(20));
  EXPECT_EQ(core.stats().queries_sent, 2u);
}

TEST(MdnsCore, TwoPeersDiscoverEachOther) {
  MdnsCore a = make_core(1), b = make_core(2);
  a.set_addresses({addr("/ip4/192.168.1.10/tcp/4001"), addr("/ip6/fd00::1/tcp/4001")});
  b.set_addresses({addr("/ip4/192.168.1.11/tcp/4001/p2p/" + peer(2).to_string())});
  a.start(kT0);
  b.start(kT0);
  deliver_all({&a, &b}, kT0);
  auto ea = drain_events(a), eb = drain_events(b);
  ASSERT_EQ(ea.size(), 1u);
  ASSERT_EQ(eb.size(), 1u);
  auto& found_by_a = std::get<PeerDiscovered>(ea[0]);
  auto& found_by_b = std::get<PeerDiscovered>(eb[0]);
  EXPECT_EQ(found_by_a.peer, peer(2));
  EXPECT_EQ(found_by_a.addrs, (std::vector<Multiaddr>{addr("/ip4/192.168.1.11/tcp/4001")}));
  EXPECT_EQ(found_by_b.peer, peer(1));
  EXPECT_EQ(found_by_b.addrs, (std::vector<Multiaddr>{addr("/ip4/192.168.1.10/tcp/4001"),
                                                      addr("/ip6/fd00::1/tcp/4001")}));
  EXPECT_GT(a.stats().own_responses_ignored, 0u);
  EXPECT_EQ(a.known_peer_count(), 1u);
  // Later rounds refresh the peers without new events.
  a.on_timer(kT0 + seconds(10));
  b.on_timer(kT0 + seconds(10));
  deliver_all({&a, &b}, kT0 + seconds(10));
  EXPECT_TRUE(drain_events(a).empty());
  EXPECT_TRUE(drain_events(b).empty());
}

TEST(MdnsCore, AnswersItsOwnQueryAndIgnoresItsOwnAnswer) {
  MdnsCore a = make_core(1);
  a.set_addresses({addr("/ip4/127.0.0.1/tcp/4001")});
  a.start(kT0);
  deliver_all({&a}, kT0);
  EXPECT_EQ(a.stats().queries_received, 1u);
  EXPECT_EQ(a.stats().responses_sent, 1u);
  EXPECT_EQ(a.stats().own_responses_ignored, 1u);
  EXPECT_TRUE(drain_events(a).empty());
}

TEST(MdnsCore, IgnoresItsPeerIdUnderAnotherName) {
  MdnsConfig other_name;
  other_name.peer_name = "someoneelse0000000000000000000000";
  auto twin = MdnsCore::create(peer(1), other_name);
  ASSERT_TRUE(twin.ok());
  MdnsCore a = make_core(1);
  twin->set_addresses({addr("/ip4/127.0.0.1/tcp/4001")});
  a.start(kT0);
  twin->start(kT0);
  deliver_all({&a, &*twin}, kT0);
  EXPECT_TRUE(drain_events(a).empty());
  EXPECT_EQ(a.stats().self_announcements_ignored, 1u);
}

TEST(MdnsCore, StaysQuietWithoutAddresses) {
  MdnsCore a = make_core(1);
  a.start(kT0);
  deliver_all({&a}, kT0);
  EXPECT_EQ(a.stats().queries_received, 1u);
  EXPECT_EQ(a.stats().responses_sent, 0u);
}

TEST(MdnsCore, AnswersAtMostOncePerSecond) {
  MdnsCore a = make_core(1);
  a.set_addresses({addr("/ip4/127.0.0.1/tcp/4001")});
  a.start(kT0);
  drain_sends(a);
  Bytes query = build_query(*Name::parse(kServiceName));
  ASSERT_TRUE(a.on_datagram(query, kT0).ok());
  EXPECT_EQ(drain_sends(a).size(), 1u);  // answered at once
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(a.on_datagram(query, kT0 + milliseconds(200)).ok());
  EXPECT_TRUE(drain_sends(a).empty());
  EXPECT_EQ(a.next_timer(), kT0 + seconds(1));
  a.on_timer(kT0 + seconds(1));
  auto sent = drain_sends(a);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(is_query(sent[0]));
  EXPECT_EQ(a.stats().responses_sent, 2u);
  EXPECT_EQ(a.stats().queries_coalesced, 99u);
  // Quiet for a second: the next query is answered at once again.
  ASSERT_TRUE(a.on_datagram(query, kT0 + seconds(2)).ok());
  EXPECT_EQ(drain_sends(a).size(), 1u);
}

TEST(MdnsCore, ExpiresPeersWhenTheirTtlRunsOut) {
  MdnsCore a = make_core(1), b = make_core(2);
  b.set_addresses({addr("/ip4/10.0.0.2/tcp/1")});
  a.start(kT0);
  b.start(kT0);
  deliver_all({&a, &b}, kT0);
  ASSERT_EQ(drain_events(a).size(), 1u);
  EXPECT_EQ(a.next_timer(), kT0 + seconds(10));  // query before expiry at +120 s
  // b goes away silently; a keeps querying.
  Instant t = kT0;
  std::vector<MdnsEvent> events;
  while (events.empty()) {
    t = *a.next_timer();
    a.on_timer(t);
    drain_sends(a);
    events = drain_events(a);
  }
  EXPECT_EQ(t, kT0 + seconds(120));
  ASSERT_EQ(events.size(), 1u);
  auto& expired = std::get<PeerExpired>(events[0]);
  EXPECT_EQ(expired.peer, peer(2));
  EXPECT_EQ(expired.reason, ExpiryReason::ttl);
  EXPECT_EQ(a.known_peer_count(), 0u);
}

TEST(MdnsCore, RefreshedPeersStayAndNewAddressesAreReported) {
  MdnsCore a = make_core(1), b = make_core(2);
  b.set_addresses({addr("/ip4/10.0.0.2/tcp/1")});
  a.start(kT0);
  b.start(kT0);
  deliver_all({&a, &b}, kT0);
  drain_events(a);
  // b answers a's query at +100 s: the peer now expires at +220 s.
  step_to({&a, &b}, kT0 + seconds(100));
  a.on_timer(kT0 + seconds(150));
  EXPECT_TRUE(drain_events(a).empty());
  EXPECT_EQ(a.known_peer_count(), 1u);
  // A new address is news: reported with every address known.
  b.set_addresses({addr("/ip4/10.0.0.2/tcp/1"), addr("/ip4/10.0.0.3/tcp/1")});
  step_to({&a, &b}, kT0 + seconds(160));
  auto events = drain_events(a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<PeerDiscovered>(events[0]).addrs.size(), 2u);
  a.on_timer(kT0 + seconds(219));
  EXPECT_TRUE(drain_events(a).empty());
  a.on_timer(kT0 + seconds(280));
  events = drain_events(a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<PeerExpired>(events[0]).reason, ExpiryReason::ttl);
}

TEST(MdnsCore, GoodbyeForgetsThePeerAtOnce) {
  MdnsCore a = make_core(1), b = make_core(2);
  b.set_addresses({addr("/ip4/10.0.0.2/tcp/1")});
  a.start(kT0);
  b.start(kT0);
  deliver_all({&a, &b}, kT0);
  drain_events(a);
  b.stop(kT0 + seconds(3));
  auto goodbye = drain_sends(b);
  ASSERT_EQ(goodbye.size(), 1u);
  EXPECT_EQ(decode_message(goodbye[0])->answers[0].ttl_s, 0u);
  ASSERT_TRUE(a.on_datagram(goodbye[0], kT0 + seconds(3)).ok());
  auto events = drain_events(a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<PeerExpired>(events[0]).reason, ExpiryReason::goodbye);
  // A stopped core is silent.
  EXPECT_EQ(b.next_timer(), std::nullopt);
  ASSERT_TRUE(b.on_datagram(build_query(*Name::parse(kServiceName)), kT0 + seconds(4)).ok());
  EXPECT_TRUE(drain_sends(b).empty());
}

TEST(MdnsCore, CapsRemoteTtlAndKnownPeers) {
  MdnsConfig config;
  config.known_peers_max = 2;
  config.peer_ttl_max = seconds(30);
  MdnsCore a = make_core(1, config);
  a.start(kT0);
  drain_sends(a);
  for (uint8_t n = 2; n <= 4; ++n) {
    MdnsConfig long_ttl;
    long_ttl.record_ttl_s = 4500;
    MdnsCore other = make_core(n, long_ttl);
    other.set_addresses({addr("/ip4/10.0.0." + std::to_string(n) + "/tcp/1")});
    other.start(kT0);
    deliver_all({&a, &other}, kT0 + seconds(n));
  }
  auto events = drain_events(a);
  ASSERT_EQ(events.size(), 4u);  // three discovered, the oldest evicted for the third
  auto& evicted = std::get<PeerExpired>(events[2]);
  EXPECT_EQ(evicted.peer, peer(2));
  EXPECT_EQ(evicted.reason, ExpiryReason::evicted);
  EXPECT_EQ(std::get<PeerDiscovered>(events[3]).peer, peer(4));
  EXPECT_EQ(a.known_peer_count(), 2u);
  // Peer 3 was seen at +3 s with TTL 4500 s, cut to 30 s.
  a.on_timer(kT0 + seconds(32));
  EXPECT_TRUE(drain_events(a).empty());
  a.on_timer(kT0 + seconds(33));
  events = drain_events(a);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<PeerExpired>(events[0]).peer, peer(3));
}

TEST(MdnsCore, BoundsItsQueues) {
  MdnsConfig config;
  config.outbound_datagrams_max = 3;
  MdnsCore a = make_core(1, config);
  a.start(kT0);
  for (int i = 1; i <= 5; ++i) a.on_timer(kT0 + seconds(10 * i));
  EXPECT_EQ(drain_sends(a).size(), 3u);
  EXPECT_EQ(a.stats().datagrams_dropped, 3u);
}

TEST(MdnsCore, ReportsDatagramsItCannotDecode) {
  MdnsCore a = make_core(1);
  a.start(kT0);
  Status st = a.on_datagram(Bytes{1, 2, 3}, kT0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::truncated);
  EXPECT_EQ(a.stats().datagrams_invalid, 1u);
}

TEST(MdnsCore, RandomPeerNamesFollowTheSpec) {
  std::set<size_t> lengths;
  std::set<std::string> names;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    std::string n = random_peer_name(seed);
    EXPECT_GE(n.size(), 32u);
    EXPECT_LE(n.size(), 63u);
    for (char c : n) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << n;
    lengths.insert(n.size());
    names.insert(n);
  }
  EXPECT_EQ(lengths.size(), 32u);
  EXPECT_EQ(names.size(), 2000u);
  EXPECT_EQ(random_peer_name(7), random_peer_name(7));
  EXPECT_NE(make_core(1).peer_name(), make_core(2).peer_name());
  EXPECT_EQ(make_core(1).peer_name(), random_peer_name(1));
}

TEST(MdnsCore, CreateRefusesConfigsThatCannotWork) {
  MdnsConfig c;
  c.peer_name = std::string(64, 'a');
  EXPECT_EQ(MdnsCore::create(peer(1), c).error().code, Errc::invalid_input);
  c.peer_name = "a.b";
  EXPECT_EQ(MdnsCore::create(peer(1), c).error().code, Errc::invalid_input);
  c = {};
  c.service_name = "";
  EXPECT_EQ(MdnsCore::create(peer(1), c).error().code, Errc::invalid_input);
  c = {};
  c.query_interval = Duration::zero();
  EXPECT_EQ(MdnsCore::create(peer(1), c).error().code, Errc::invalid_input);
  c = {};
  c.datagram_bytes_max = 100;
  EXPECT_EQ(MdnsCore::create(peer(1), c).error().code, Errc::invalid_input);
}

TEST(MdnsCore, LeavesOutAddressesTooLongForTxt) {
  MdnsCore a = make_core(1);
  std::string long_dns = "/dns4/" + std::string(60, 'a') + "." + std::string(60, 'b') + "." +
                         std::string(60, 'c') + "/tcp/1";
  a.set_addresses({addr(long_dns), addr("/ip4/10.0.0.1/tcp/1")});
  EXPECT_EQ(a.stats().addrs_not_announced, 1u);
}

}  // namespace
}  // namespace agora::mdns
