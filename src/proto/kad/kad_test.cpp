// The Kad core driven by hand: inbound requests, routing-table upkeep, timeouts, misbehaviour.
#include "proto/kad/kad.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

using test::at;
using test::events_of;
using test::info;
using test::kT0;

std::vector<OutboundRequest> drain(Kad& kad) {
  std::vector<OutboundRequest> out;
  while (auto r = kad.poll_outbound()) out.push_back(std::move(*r));
  return out;
}

Message request(MessageType type, Bytes key) {
  Message m;
  m.type = type;
  m.key = std::move(key);
  return m;
}

// A server with `n` server peers connected.
Kad server_with_peers(size_t n, KadConfig config = {}) {
  Kad kad(test::peer(0), config);
  for (uint64_t i = 1; i <= n; ++i)
    kad.on_peer_connected(info(test::peer(i)), true, Direction::outbound, kT0);
  drain(kad);
  events_of<RoutingUpdated>(kad);
  return kad;
}

TEST(KadCore, FindNodeReturnsClosestButNotTheRequester) {
  Kad kad = server_with_peers(60);
  const PeerId requester = test::peer(5);
  const Bytes target = test::peer(999).bytes();
  auto r = kad.handle_request(requester, request(MessageType::find_node, target), kT0);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(*r);
  const Message& m = **r;
  EXPECT_EQ(m.type, MessageType::find_node);
  std::vector<PeerId> expected;
  for (const RoutingEntry& e : kad.routing_table().closest(Key::from_bytes(target), 21))
    if (e.id != requester) expected.push_back(e.id);
  expected.resize(20);
  ASSERT_EQ(m.closer_peers.size(), 20u);
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(m.closer_peers[i].id, expected[i]);
  EXPECT_EQ(m.closer_peers[0].addrs.size(), 1u);

  // Asking for the requester itself: it is left out, even though it is the closest.
  auto self_of_requester =
      kad.handle_request(requester, request(MessageType::find_node, requester.bytes()), kT0);
  for (const Peer& p : (*self_of_requester)->closer_peers) EXPECT_NE(p.id, requester);
}

TEST(KadCore, FindNodeForUsAnswersWithOurAddresses) {
  Kad kad = server_with_peers(5);
  kad.set_self_addrs({Bytes{4, 10, 0, 0, 1}});
  auto r =
      kad.handle_request(test::peer(1), request(MessageType::find_node, kad.self().bytes()), kT0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)->closer_peers.size(), 1u);
  EXPECT_EQ((*r)->closer_peers[0].id, kad.self());
  EXPECT_EQ((*r)->closer_peers[0].addrs, std::vector<Bytes>{Bytes({4, 10, 0, 0, 1})});
}

TEST(KadCore, PutValueThenGetValue) {
  Kad kad = server_with_peers(30);
  test::PkRecord pk = test::pk_record(3);
  Message put = request(MessageType::put_value, pk.record.key);
  put.record = pk.record;
  auto r = kad.handle_request(test::peer(1), put, kT0);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(**r, put);  // echo
  EXPECT_EQ(kad.records().size(), 1u);

  auto got = kad.handle_request(test::peer(2), request(MessageType::get_value, pk.record.key), kT0);
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE((*got)->record);
  EXPECT_EQ((*got)->record->value, pk.record.value);
  EXPECT_EQ((*got)->key, pk.record.key);
  EXPECT_EQ((*got)->closer_peers.size(), 20u);

  auto missing = kad.handle_request(
      test::peer(2), request(MessageType::get_value, test::pk_record(4).record.key), kT0);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE((*missing)->record);
  EXPECT_EQ((*missing)->closer_peers.size(), 20u);
}

TEST(KadCore, PutValueRefusesBadRecords) {
  Kad kad = server_with_peers(3);
  test::PkRecord a = test::pk_record(1), b = test::pk_record(2);
  Message wrong_key = request(MessageType::put_value, a.record.key);
  wrong_key.record = Record{a.record.key, b.record.value, {}};
  EXPECT_EQ(kad.handle_request(test::peer(1), wrong_key, kT0).error().code, Errc::invalid_input);

  Message mismatch = request(MessageType::put_value, b.record.key);
  mismatch.record = a.record;
  EXPECT_FALSE(kad.handle_request(test::peer(1), mismatch, kT0).ok());

  Message no_record = request(MessageType::put_value, a.record.key);
  EXPECT_FALSE(kad.handle_request(test::peer(1), no_record, kT0).ok());

  Message ipns = request(MessageType::put_value, to_bytes("/ipns/x"));
  ipns.record = Record{to_bytes("/ipns/x"), to_bytes("v"), {}};
  EXPECT_EQ(kad.handle_request(test::peer(1), ipns, kT0).error().code, Errc::unsupported);
  EXPECT_EQ(kad.records().size(), 0u);
  EXPECT_EQ(kad.stats().inbound_refused, 4u);
}

TEST(KadCore, AddProviderStoresOnlyTheSender) {
  Kad kad = server_with_peers(30);
  const Bytes key = test::content_key("file");
  const PeerId sender = test::peer(7), other = test::peer(8);
  Message add = request(MessageType::add_provider, key);
  add.provider_peers = {to_peer(info(other)), to_peer(info(sender))};
  auto r = kad.handle_request(sender, add, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);  // no response
  auto rejected = events_of<InboundRejected>(kad);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].from, sender);
  EXPECT_NE(rejected[0].reason.find(other.to_string()), std::string::npos);

  auto got = kad.handle_request(test::peer(9), request(MessageType::get_providers, key), kT0);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ((*got)->provider_peers.size(), 1u);
  EXPECT_EQ((*got)->provider_peers[0].id, sender);
  EXPECT_EQ((*got)->provider_peers[0].addrs.size(), 1u);
  EXPECT_EQ((*got)->closer_peers.size(), 20u);
  EXPECT_EQ((*got)->key, key);

  // Expired after 48 h.
  auto later = kad.handle_request(test::peer(9), request(MessageType::get_providers, key),
                                  at(std::chrono::hours(48)));
  EXPECT_TRUE((*later)->provider_peers.empty());

  // Keys must be multihashes.
  EXPECT_FALSE(
      kad.handle_request(sender, request(MessageType::add_provider, to_bytes("x")), kT0).ok());
  EXPECT_FALSE(kad.handle_request(sender, request(MessageType::get_providers, {}), kT0).ok());
}

TEST(KadCore, PingUnknownTypesAndOversizeRequestsAreRefused) {
  Kad kad = server_with_peers(3);
  auto ping = kad.handle_request(test::peer(1), request(MessageType::ping, {}), kT0);
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.error().code, Errc::unsupported);
  EXPECT_NE(ping.error().message.find("PING"), std::string::npos);
  auto unknown = kad.handle_request(test::peer(1), request(MessageType(42), to_bytes("k")), kT0);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("42"), std::string::npos);
  EXPECT_FALSE(kad.handle_request(test::peer(1), request(MessageType::find_node, {}), kT0).ok());
  Message flood = request(MessageType::find_node, to_bytes("k"));
  for (uint64_t i = 0; i < 100; ++i)
    flood.closer_peers.push_back(to_peer(info(test::peer(i + 50))));
  auto r = kad.handle_request(test::peer(1), flood, kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("closer_peers_max"), std::string::npos);
  EXPECT_EQ(kad.stats().inbound_refused, 4u);
}

TEST(KadCore, ClientModeRefusesAndClientPeersStayOut) {
  KadConfig config;
  config.server_mode = false;
  Kad client(test::peer(0), config);
  EXPECT_EQ(
      client.handle_request(test::peer(1), request(MessageType::find_node, to_bytes("k")), kT0)
          .error()
          .code,
      Errc::unsupported);

  Kad server = server_with_peers(0);
  server.on_peer_connected(info(test::peer(1)), false, Direction::outbound, kT0);
  auto r =
      server.handle_request(test::peer(1), request(MessageType::find_node, to_bytes("k")), kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(server.routing_table().size(), 0u);
  EXPECT_TRUE(drain(server).empty());
  server.on_peer_connected(info(test::peer(2)), true, Direction::outbound, kT0);
  EXPECT_TRUE(server.routing_table().contains(test::peer(2)));
  auto added = events_of<RoutingUpdated>(server);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_TRUE(added[0].added);
}

// Peers in bucket 0 of `self` (half of all peers share no leading bit with it).
std::vector<PeerId> bucket0(const PeerId& self, size_t n) {
  std::vector<PeerId> out;
  for (uint64_t i = 1; out.size() < n; ++i) {
    if (common_prefix_length(Key::of(self), Key::of(test::peer(i))) == 0)
      out.push_back(test::peer(i));
  }
  return out;
}

// Buckets of 2 whose oldest entry may be checked at once: full buckets in a few steps.
KadConfig tiny_buckets() {
  KadConfig config;
  config.k = 2;
  config.liveness_check_after = Duration::zero();
  return config;
}

TEST(KadCore, FullBucketSendsLivenessCheckAndPromotesOnFailure) {
  Kad kad(test::peer(0), tiny_buckets());
  std::vector<PeerId> b0 = bucket0(kad.self(), 3);
  kad.on_peer_connected(info(b0[0]), true, Direction::outbound, kT0);
  kad.on_peer_connected(info(b0[1]), true, Direction::outbound, at(seconds(1)));
  EXPECT_TRUE(drain(kad).empty());
  kad.on_peer_connected(info(b0[2]), true, Direction::outbound, at(seconds(2)));
  std::vector<OutboundRequest> out = drain(kad);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to.id, b0[0]);  // least recently seen
  EXPECT_EQ(out[0].message.type, MessageType::find_node);
  EXPECT_EQ(out[0].message.key, kad.self().bytes());
  EXPECT_EQ(kad.stats().liveness_checks, 1u);
  events_of<RoutingUpdated>(kad);

  kad.on_request_failed(out[0].id, "connection refused", at(seconds(3)));
  auto updates = events_of<RoutingUpdated>(kad);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(updates[0].peer, b0[0]);
  EXPECT_FALSE(updates[0].added);
  EXPECT_EQ(updates[1].peer, b0[2]);
  EXPECT_TRUE(updates[1].added);
  EXPECT_FALSE(kad.routing_table().contains(b0[0]));
  EXPECT_TRUE(kad.routing_table().contains(b0[2]));
}

// A check opens a connection to the checked peer; if that inbound connection could make it check
// one of its own entries, checks would chain from peer to peer (2.95M checks for 36k requests in
// a 100,000-node simulation before this rule).
TEST(KadCore, InboundPeerForFullBucketSendsNoLivenessCheck) {
  Kad kad(test::peer(0), tiny_buckets());
  std::vector<PeerId> b0 = bucket0(kad.self(), 4);
  kad.on_peer_connected(info(b0[0]), true, Direction::outbound, kT0);
  kad.on_peer_connected(info(b0[1]), true, Direction::inbound, at(seconds(1)));
  EXPECT_EQ(kad.routing_table().size(), 2u);  // room left: inbound servers are added
  kad.on_peer_connected(info(b0[2]), true, Direction::inbound, at(seconds(2)));
  EXPECT_TRUE(drain(kad).empty());
  EXPECT_EQ(kad.stats().liveness_checks, 0u);
  EXPECT_FALSE(kad.routing_table().contains(b0[2]));
  EXPECT_EQ(kad.routing_table().replacement_count(0), 1u);
  // A peer we connected to may still get the oldest entry checked.
  kad.on_peer_connected(info(b0[3]), true, Direction::outbound, at(seconds(3)));
  std::vector<OutboundRequest> out = drain(kad);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to.id, b0[0]);
  EXPECT_EQ(kad.stats().liveness_checks, 1u);
}

TEST(KadCore, LivenessCheckAnsweredKeepsTheOldEntry) {
  Kad kad(test::peer(0), tiny_buckets());
  std::vector<PeerId> b0 = bucket0(kad.self(), 4);
  for (size_t i = 0; i < 3; ++i)
    kad.on_peer_connected(info(b0[i]), true, Direction::outbound, at(seconds(int(i))));
  std::vector<OutboundRequest> out = drain(kad);
  ASSERT_EQ(out.size(), 1u);
  Message answer = request(MessageType::find_node, {});
  kad.on_response(out[0].id, answer, at(seconds(4)));
  EXPECT_TRUE(kad.routing_table().contains(b0[0]));
  EXPECT_FALSE(kad.routing_table().contains(b0[2]));
  // The next newcomer gets b0[1] checked (b0[0] was just seen); a timeout counts as dead.
  kad.on_peer_connected(info(b0[3]), true, Direction::outbound, at(seconds(5)));
  out = drain(kad);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to.id, b0[1]);
  ASSERT_EQ(kad.next_timer(), at(seconds(15)));
  kad.on_timer(at(seconds(15)));
  EXPECT_FALSE(kad.routing_table().contains(b0[1]));
  EXPECT_TRUE(kad.routing_table().contains(b0[3]));  // the newest replacement
  EXPECT_EQ(kad.stats().timeouts, 1u);
}

TEST(KadCore, RequestTimeoutsFailTheQueryAndRemovePeers) {
  Kad kad = server_with_peers(5);
  auto id = kad.find_node(test::peer(100), kT0);
  ASSERT_TRUE(id.ok());
  std::vector<OutboundRequest> out = drain(kad);
  ASSERT_EQ(out.size(), 5u);
  for (const OutboundRequest& r : out) {
    EXPECT_EQ(r.message.type, MessageType::find_node);
    EXPECT_EQ(r.message.key, test::peer(100).bytes());
    EXPECT_TRUE(r.expect_response);
  }
  EXPECT_EQ(kad.next_timer(), at(seconds(10)));
  kad.on_timer(at(seconds(9)));
  EXPECT_EQ(kad.requests_in_flight(), 5u);
  kad.on_timer(at(seconds(10)));
  EXPECT_EQ(kad.requests_in_flight(), 0u);
  EXPECT_EQ(kad.stats().timeouts, 5u);
  std::vector<KadEvent> events;
  while (auto e = kad.poll_event()) events.push_back(std::move(*e));
  size_t steps = 0;
  std::optional<QueryFinished> finished;
  for (auto& e : events) {
    if (auto* s = std::get_if<QueryStep>(&e)) {
      EXPECT_TRUE(s->failed);
      EXPECT_EQ(s->error, "timeout");
      EXPECT_EQ(s->took, seconds(10));
      ++steps;
    }
    if (auto* f = std::get_if<QueryFinished>(&e)) finished = *f;
  }
  EXPECT_EQ(steps, 5u);
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->query, *id);
  EXPECT_FALSE(finished->ok);
  EXPECT_EQ(finished->stats.failures, 5u);
  EXPECT_EQ(finished->stats.elapsed, seconds(10));
  EXPECT_EQ(kad.routing_table().size(), 0u);  // peers that failed a lookup are dropped
  // A late answer is ignored.
  kad.on_response(out[0].id, request(MessageType::find_node, {}), at(seconds(11)));
  EXPECT_FALSE(kad.poll_event());
  EXPECT_EQ(kad.query_count(), 0u);
  EXPECT_FALSE(kad.next_timer());
}

TEST(KadCore, EmptyTableFinishesAtOnce) {
  Kad kad(test::peer(0));
  auto id = kad.get_closest_peers(to_bytes("key"), kT0);
  ASSERT_TRUE(id.ok());
  auto finished = events_of<QueryFinished>(kad);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_FALSE(finished[0].ok);
  EXPECT_EQ(finished[0].kind, QueryKind::get_closest_peers);
  EXPECT_TRUE(drain(kad).empty());
}

TEST(KadCore, MisbehavingAnswersAreReportedAndCountAsFailures) {
  Kad kad = server_with_peers(2);
  test::PkRecord pk = test::pk_record(1), other = test::pk_record(2);
  ASSERT_TRUE(kad.get_value(pk.record.key, kT0).ok());
  std::vector<OutboundRequest> out = drain(kad);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].message.type, MessageType::get_value);
  Message wrong_type = request(MessageType::find_node, {});
  kad.on_response(out[0].id, wrong_type, at(seconds(1)));
  Message bad_record = request(MessageType::get_value, pk.record.key);
  bad_record.record = Record{pk.record.key, other.record.value, {}};
  kad.on_response(out[1].id, bad_record, at(seconds(1)));
  std::vector<KadEvent> events;
  while (auto e = kad.poll_event()) events.push_back(std::move(*e));
  std::vector<AnswerFault> faults;
  std::optional<QueryFinished> finished;
  for (auto& e : events) {
    if (auto* bad = std::get_if<PeerMisbehaved>(&e)) faults.push_back(bad->fault);
    if (auto* f = std::get_if<QueryFinished>(&e)) finished = *f;
  }
  // Typed, so the node labels its metric without reading the message.
  EXPECT_EQ(faults, (std::vector{AnswerFault::wrong_type, AnswerFault::invalid_record}));
  EXPECT_STREQ(answer_fault_name(AnswerFault::invalid_record), "invalid_record");
  ASSERT_TRUE(finished);
  EXPECT_FALSE(finished->ok);
  EXPECT_FALSE(finished->record);
  EXPECT_EQ(kad.stats().misbehaved, 2u);
}

TEST(KadCore, OperationsValidateInput) {
  Kad kad = server_with_peers(2);
  EXPECT_EQ(kad.get_value(to_bytes("/ipns/x"), kT0).error().code, Errc::unsupported);
  EXPECT_FALSE(kad.get_value({}, kT0).ok());
  EXPECT_FALSE(kad.get_providers(to_bytes("not a multihash"), kT0).ok());
  EXPECT_FALSE(kad.provide(to_bytes("not a multihash"), {}, kT0).ok());
  test::PkRecord a = test::pk_record(1), b = test::pk_record(2);
  EXPECT_FALSE(kad.put_value(Record{a.record.key, b.record.value, {}}, kT0).ok());
  EXPECT_FALSE(kad.get_closest_peers(Bytes(300, 1), kT0).ok());
  EXPECT_EQ(kad.query_count(), 0u);
}

TEST(KadCore, QueriesMaxIsEnforcedAndCancelEnds) {
  KadConfig config;
  config.queries_max = 2;
  Kad kad = server_with_peers(3, config);
  auto a = kad.find_node(test::peer(50), kT0);
  auto b = kad.find_node(test::peer(51), kT0);
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = kad.find_node(test::peer(52), kT0);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, Errc::limit);
  EXPECT_EQ(kad.stats().queries_refused, 1u);
  ASSERT_TRUE(kad.cancel(*a, kT0).ok());
  EXPECT_EQ(kad.cancel(*a, kT0).error().code, Errc::not_found);
  auto finished = events_of<QueryFinished>(kad);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].error, "cancelled");
  // The cancelled query's unsent requests are not handed out.
  size_t for_b = drain(kad).size();
  EXPECT_EQ(for_b, 3u);
  EXPECT_TRUE(kad.find_node(test::peer(52), kT0).ok());
}

TEST(KadCore, ProvideSendsAddProviderAndRepublishes) {
  Kad kad = server_with_peers(3);
  const Bytes key = test::content_key("data");
  const std::vector<Bytes> addrs{Bytes{4, 1, 2, 3, 4}};
  ASSERT_TRUE(kad.provide(key, addrs, kT0).ok());
  EXPECT_EQ(kad.providers().providers(key, kT0).size(), 1u);  // ourselves, locally
  std::vector<OutboundRequest> lookups = drain(kad);
  ASSERT_EQ(lookups.size(), 3u);
  for (const OutboundRequest& r : lookups) {
    EXPECT_EQ(r.message.type, MessageType::find_node);
    EXPECT_EQ(r.message.key, key);
    kad.on_response(r.id, request(MessageType::find_node, {}), at(seconds(1)));
  }
  std::vector<OutboundRequest> adds = drain(kad);
  ASSERT_EQ(adds.size(), 3u);
  for (const OutboundRequest& r : adds) {
    EXPECT_EQ(r.message.type, MessageType::add_provider);
    EXPECT_FALSE(r.expect_response);
    ASSERT_EQ(r.message.provider_peers.size(), 1u);
    EXPECT_EQ(r.message.provider_peers[0].id, kad.self());
    EXPECT_EQ(r.message.provider_peers[0].addrs, addrs);
  }
  auto finished = events_of<QueryFinished>(kad);
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_TRUE(finished[0].ok);
  EXPECT_EQ(finished[0].stored, 3u);
  EXPECT_EQ(finished[0].closest.size(), 3u);

  // Republished 22 h later: a new lookup for the key.
  ASSERT_TRUE(kad.next_timer());
  kad.on_timer(at(std::chrono::hours(21)));
  EXPECT_TRUE(drain(kad).empty());
  kad.on_timer(at(std::chrono::hours(22)));
  std::vector<OutboundRequest> again = drain(kad);
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].message.key, key);
  // Our own provider record is refreshed with it, so it outlives the first 48 h.
  EXPECT_EQ(kad.providers().providers(key, at(std::chrono::hours(60))).size(), 1u);
}

TEST(KadCore, BootstrapRepeatsEveryRefreshInterval) {
  Kad kad = server_with_peers(3);
  ASSERT_TRUE(kad.bootstrap(kT0).ok());
  std::vector<OutboundRequest> out = drain(kad);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].message.key, kad.self().bytes());
  for (const OutboundRequest& r : out)
    kad.on_response(r.id, request(MessageType::find_node, {}), at(seconds(1)));
  auto finished = events_of<QueryFinished>(kad);
  ASSERT_GE(finished.size(), 1u);
  EXPECT_EQ(finished[0].kind, QueryKind::bootstrap);
  EXPECT_TRUE(finished[0].ok);
  drain(kad);  // refresh lookups, if the table has several buckets
  for (int i = 0; i < 10; ++i) kad.on_timer(at(seconds(10 + i)));  // time the refreshes out
  events_of<QueryFinished>(kad);
  EXPECT_EQ(kad.next_timer(), at(std::chrono::minutes(10)));
}

}  // namespace
}  // namespace agora::kad
