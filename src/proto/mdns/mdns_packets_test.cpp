#include "proto/mdns/mdns_packets.h"

#include <gtest/gtest.h>

#include "proto/mdns/testdata/js_capture.h"

namespace agora::mdns {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }
Name name(std::string_view dotted) { return Name::parse(dotted).value(); }
Multiaddr addr(std::string_view text) { return Multiaddr::parse(text).value(); }
PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
const Name kService = name(kServiceName);

using testdata::kJsPeer;
using testdata::kJsPeerName;
using testdata::kJsQuery;
using testdata::kJsResponse;

TEST(MdnsPackets, QueryIsByteForByteWhatJsSends) {
  EXPECT_EQ(to_hex(build_query(kService)), kJsQuery);
}

TEST(MdnsPackets, ReadsTheJsLibp2pResponse) {
  auto m = decode_message(hex(kJsResponse));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_TRUE(m->is_response());
  EXPECT_EQ(m->flags, kFlagResponse | kFlagAuthoritative);
  ASSERT_EQ(m->answers.size(), 3u);
  EXPECT_TRUE(m->additionals.empty());
  EXPECT_EQ(m->answers[0].ttl_s, 120u);
  AnnouncementSkips skips;
  auto found = read_announcements(*m, kService, {}, skips);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].peer.to_string(), kJsPeer);
  EXPECT_EQ(found[0].peer_name, kJsPeerName);
  EXPECT_EQ(found[0].ttl_s, 120u);
  EXPECT_EQ(found[0].addrs, (std::vector<Multiaddr>{addr("/ip4/127.0.0.1/tcp/4001"),
                                                    addr("/ip4/127.0.0.1/tcp/4002")}));
  EXPECT_EQ(skips.addrs_invalid + skips.addrs_over_limit + skips.peers_without_addrs, 0u);
}

TEST(MdnsPackets, ResponseLayoutFollowsTheSpec) {
  std::vector<std::string> txt = {"dnsaddr=/ip4/10.0.0.2/tcp/4001/p2p/" + peer(1).to_string()};
  auto datagrams = build_response(kService, "peername", txt, 120, 1400);
  ASSERT_TRUE(datagrams.ok()) << datagrams.error().to_string();
  ASSERT_EQ(datagrams->size(), 1u);
  auto m = decode_message((*datagrams)[0]);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->id, 0);
  EXPECT_EQ(m->flags, 0x8400);
  EXPECT_TRUE(m->questions.empty());
  ASSERT_EQ(m->answers.size(), 1u);
  EXPECT_EQ(m->answers[0].name, kService);
  EXPECT_EQ(m->answers[0].data, RecordData{PtrData{name("peername._p2p._udp.local")}});
  ASSERT_EQ(m->additionals.size(), 1u);
  EXPECT_EQ(m->additionals[0].name, name("peername._p2p._udp.local"));
  EXPECT_EQ(m->additionals[0].data, RecordData{TxtData{txt}});
  EXPECT_EQ(m->additionals[0].ttl_s, 120u);
  // The TXT record's name is a pointer to the PTR's target: the label is written once.
  std::string bytes = to_hex((*datagrams)[0]);
  std::string label = "08" + to_hex(as_bytes("peername"));
  size_t first = bytes.find(label);
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(bytes.find(label, first + 1), std::string::npos);
}

TEST(MdnsPackets, SplitsManyAddressesAcrossDatagrams) {
  PeerId id = peer(2);
  std::vector<std::string> txt;
  for (int i = 0; i < 40; ++i)
    txt.push_back("dnsaddr=/ip4/192.168.1." + std::to_string(i) + "/tcp/4001/p2p/" +
                  id.to_string());
  auto datagrams = build_response(kService, "p", txt, 120, 600);
  ASSERT_TRUE(datagrams.ok());
  EXPECT_GT(datagrams->size(), 4u);
  std::vector<Multiaddr> all;
  for (const Bytes& d : *datagrams) {
    EXPECT_LE(d.size(), 600u);
    auto m = decode_message(d);
    ASSERT_TRUE(m.ok());
    AnnouncementSkips skips;
    AnnouncementLimits limits;
    limits.addrs_per_peer_max = 64;
    auto found = read_announcements(*m, kService, limits, skips);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].peer, id);
    all.insert(all.end(), found[0].addrs.begin(), found[0].addrs.end());
  }
  ASSERT_EQ(all.size(), 40u);
  EXPECT_EQ(all[39], addr("/ip4/192.168.1.39/tcp/4001"));
}

TEST(MdnsPackets, ResponseRefusesWhatCannotBeSent) {
  EXPECT_EQ(build_response(kService, "a.b", {}, 1, 1400).error().code, Errc::invalid_input);
  EXPECT_EQ(build_response(kService, std::string(64, 'a'), {}, 1, 1400).error().code,
            Errc::invalid_input);
  EXPECT_EQ(build_response(kService, "p", {std::string(256, 'x')}, 1, 1400).error().code,
            Errc::too_large);
  EXPECT_EQ(build_response(kService, "p", {std::string(200, 'x')}, 1, 200).error().code,
            Errc::too_large);
  auto none = build_response(kService, "p", {}, 1, 1400);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->size(), 1u);
}

TEST(MdnsPackets, AnswersOnlyQuestionsForTheService) {
  DnsMessage q;
  q.questions.push_back({name("_P2P._udp.local"), rr::kPtr, rr::kClassIn, true});
  EXPECT_TRUE(asks_for(q, kService));
  q.questions[0].type = rr::kAny;
  q.questions[0].klass = rr::kClassAny;
  EXPECT_TRUE(asks_for(q, kService));
  q.questions[0].type = rr::kA;
  EXPECT_FALSE(asks_for(q, kService));
  q.questions[0] = {name("_ipfs._udp.local"), rr::kPtr, rr::kClassIn, false};
  EXPECT_FALSE(asks_for(q, kService));
  q.questions[0] = {kService, rr::kPtr, 3, false};  // CHAOS
  EXPECT_FALSE(asks_for(q, kService));
}

// A response with a PTR to `instance` and TXT records built from `strings`.
DnsMessage response_with(const std::string& instance, std::vector<std::string> strings,
                         uint32_t ttl = 120) {
  DnsMessage m;
  m.flags = kFlagResponse | kFlagAuthoritative;
  Name target = name(instance + "._p2p._udp.local");
  m.answers.push_back({kService, rr::kClassIn, false, ttl, PtrData{target}});
  m.additionals.push_back({target, rr::kClassIn, false, ttl, TxtData{std::move(strings)}});
  return m;
}

std::string dnsaddr(const std::string& a, const PeerId& p) {
  return "dnsaddr=" + a + "/p2p/" + p.to_string();
}

TEST(MdnsPackets, SkipsAddressesThatAreNotThePeers) {
  PeerId a = peer(3), b = peer(4);
  DnsMessage m = response_with(
      "x", {"foo=bar", dnsaddr("/ip4/10.0.0.1/tcp/1", a), "dnsaddr=/ip4/10.0.0.1/tcp/2",
            "dnsaddr=/nonsense", dnsaddr("/ip4/10.0.0.1/tcp/3", b),
            "dnsaddr=/p2p/" + a.to_string() + "/ip4/10.0.0.1", dnsaddr("/ip4/10.0.0.1/tcp/1", a),
            dnsaddr("/ip6/::1/tcp/4", a)});
  AnnouncementSkips skips;
  auto found = read_announcements(m, kService, {}, skips);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].peer, a);
  EXPECT_EQ(found[0].addrs,
            (std::vector<Multiaddr>{addr("/ip4/10.0.0.1/tcp/1"), addr("/ip6/::1/tcp/4")}));
  EXPECT_EQ(skips.addrs_invalid, 4u);  // no /p2p/, not a multiaddr, peer b, /p2p/ not last
}

TEST(MdnsPackets, BoundsPeersAndAddresses) {
  DnsMessage m;
  m.flags = kFlagResponse;
  for (uint8_t i = 0; i < 5; ++i) {
    DnsMessage one =
        response_with("peer" + std::to_string(i), {dnsaddr("/ip4/10.0.0.1/tcp/1", peer(i)),
                                                   dnsaddr("/ip4/10.0.0.1/tcp/2", peer(i)),
                                                   dnsaddr("/ip4/10.0.0.1/tcp/3", peer(i))});
    m.answers.push_back(one.answers[0]);
    m.answers.push_back(one.answers[0]);  // repeated PTRs count once
    m.additionals.push_back(one.additionals[0]);
  }
  AnnouncementLimits limits;
  limits.peers_max = 3;
  limits.addrs_per_peer_max = 2;
  AnnouncementSkips skips;
  auto found = read_announcements(m, kService, limits, skips);
  ASSERT_EQ(found.size(), 3u);
  for (const auto& a : found) EXPECT_EQ(a.addrs.size(), 2u);
  EXPECT_EQ(skips.peers_over_limit, 2u);
  EXPECT_EQ(skips.addrs_over_limit, 3u);
}

TEST(MdnsPackets, MatchesTxtRecordsByName) {
  DnsMessage m = response_with("x", {});
  // TXT for another instance, and one for ours in the answers (where js puts it).
  m.additionals.push_back({name("y._p2p._udp.local"), rr::kClassIn, false, 120,
                           TxtData{{dnsaddr("/ip4/10.0.0.9/tcp/9", peer(9))}}});
  AnnouncementSkips skips;
  EXPECT_TRUE(read_announcements(m, kService, {}, skips).empty());
  EXPECT_EQ(skips.peers_without_addrs, 1u);
  m.answers.push_back({name("X._P2P._udp.local"), rr::kClassIn, false, 120,
                       TxtData{{dnsaddr("/ip4/10.0.0.5/tcp/5", peer(5))}}});
  auto found = read_announcements(m, kService, {}, skips);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].peer, peer(5));
  // A PTR for another service is not ours to read.
  DnsMessage other = response_with("x", {dnsaddr("/ip4/10.0.0.5/tcp/5", peer(5))});
  other.answers[0].name = name("_ipfs._udp.local");
  EXPECT_TRUE(read_announcements(other, kService, {}, skips).empty());
}

}  // namespace
}  // namespace agora::mdns
