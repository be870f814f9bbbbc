#include "host/swarm.h"

#include <gtest/gtest.h>

namespace agora::host {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
Multiaddr addr(const std::string& text) { return Multiaddr::parse(text).value(); }
const Instant t0 = Instant(seconds(1000));
const auto nobody_protected = [](const PeerId&) { return false; };

SwarmConfig small_config() {
  SwarmConfig c;
  c.limits.connections_max = 8;
  c.limits.outbound_reserve = 2;
  c.limits.pending_dials_max = 2;
  c.dial_joins_max = 2;
  c.dial_backoff_min = seconds(5);
  c.dial_backoff_max = seconds(30);
  c.resources.peer = {.streams_inbound_max = 3, .streams_outbound_max = 3, .memory_bytes_max = 0};
  c.resources.system = {.streams_inbound_max = 5, .streams_outbound_max = 5, .memory_bytes_max = 0};
  return c;
}

ConnectionId connect(Swarm& s, ConnectionId id, const PeerId& p, Direction dir, Instant now) {
  auto r = s.on_secured(id, p, dir, addr("/ip4/10.0.0." + std::to_string(id) + "/tcp/4001"), now,
                        nobody_protected);
  EXPECT_TRUE(std::holds_alternative<Admitted>(r));
  return id;
}

template <class T>
std::vector<T> drain_actions(Swarm& s) {
  std::vector<T> out;
  while (auto a = s.poll_action())
    if (auto* t = std::get_if<T>(&*a)) out.push_back(*t);
  return out;
}

TEST(HostSwarm, OneDialPerPeerOthersJoinUpToTheLimit) {
  Swarm s(peer(0), small_config());
  auto first = std::get<DialPlan>(s.dial(peer(1), {addr("/ip4/10.0.0.1/tcp/1")}, t0));
  EXPECT_EQ(first.kind, DialPlan::Kind::start);
  auto second = std::get<DialPlan>(s.dial(peer(1), {addr("/ip4/10.0.0.2/tcp/1")}, t0));
  EXPECT_EQ(second.kind, DialPlan::Kind::join);
  EXPECT_EQ(second.dial, first.dial);
  EXPECT_TRUE(std::holds_alternative<DialPlan>(s.dial(peer(1), {addr("/ip4/1.2.3.4/tcp/1")}, t0)));
  auto over = std::get<Refusal>(s.dial(peer(1), {addr("/ip4/1.2.3.4/tcp/1")}, t0));
  EXPECT_STREQ(over.limit, "dial_joins_max");
  EXPECT_EQ(over.scope, Scope::peer);
  EXPECT_EQ(s.dials_in_flight(), 1u);
  // Once connected, a dial reuses the connection.
  connect(s, 7, peer(1), Direction::outbound, t0);
  s.on_dial_finished(first.dial, {}, true, t0);
  auto reuse = std::get<DialPlan>(s.dial(peer(1), {addr("/ip4/10.0.0.1/tcp/1")}, t0));
  EXPECT_EQ(reuse.kind, DialPlan::Kind::connected);
  EXPECT_EQ(reuse.connection, 7u);
  EXPECT_EQ(s.stats().dials_joined, 2u);
}

TEST(HostSwarm, PendingDialsAreBoundedAndSelfDialsRefused) {
  Swarm s(peer(0), small_config());
  EXPECT_EQ(std::get<Refusal>(s.dial(peer(0), {addr("/ip4/10.0.0.1/tcp/1")}, t0)).reason,
            RefusalReason::self_dial);
  EXPECT_EQ(std::get<Refusal>(s.dial(peer(1), {}, t0)).reason, RefusalReason::no_address);
  EXPECT_TRUE(std::holds_alternative<DialPlan>(s.dial(peer(1), {addr("/ip4/1.1.1.1/tcp/1")}, t0)));
  EXPECT_TRUE(std::holds_alternative<DialPlan>(s.dial(peer(2), {addr("/ip4/1.1.1.2/tcp/1")}, t0)));
  auto full = std::get<Refusal>(s.dial(peer(3), {addr("/ip4/1.1.1.3/tcp/1")}, t0));
  EXPECT_STREQ(full.limit, "pending_dials_max");
  EXPECT_EQ(full.scope, Scope::system);
  EXPECT_EQ(full.to_error().code, Errc::limit);
  EXPECT_EQ(s.stats().refusals.at({Scope::system, "pending_dials_max"}), 1u);
}

TEST(HostSwarm, FailedAddressesBackOffDoublingAndRankLast) {
  Swarm s(peer(0), small_config());
  Multiaddr dead = addr("/ip4/127.0.0.1/tcp/1");
  Multiaddr lan = addr("/ip4/192.168.1.5/tcp/1");
  Multiaddr wan = addr("/ip4/8.8.8.8/tcp/1");
  Multiaddr wan6 = addr("/ip6/2001:db8::1/tcp/1");
  auto plan = std::get<DialPlan>(s.dial(peer(1), {wan6, wan, lan, dead}, t0));
  EXPECT_EQ(plan.addrs, (std::vector<Multiaddr>{dead, lan, wan, wan6}));
  s.on_dial_finished(plan.dial, {dead}, false, t0);
  EXPECT_EQ(s.backoff_until(dead, t0), t0 + seconds(5));
  EXPECT_EQ(s.rank_addresses({dead, lan}, t0), (std::vector<Multiaddr>{lan, dead}));
  // The backoff doubles per failure, up to dial_backoff_max.
  Instant now = t0;
  for (int i = 0; i < 5; ++i) {
    auto again = std::get<DialPlan>(s.dial(peer(1), {dead}, now));
    s.on_dial_finished(again.dial, {dead}, false, now);
  }
  EXPECT_EQ(s.backoff_until(dead, now), now + seconds(30));
  EXPECT_FALSE(s.backoff_until(dead, now + seconds(30)));
  // A connection over the address clears it.
  auto last = std::get<DialPlan>(s.dial(peer(1), {dead}, now));
  ASSERT_TRUE(std::holds_alternative<Admitted>(
      s.on_secured(1, peer(1), Direction::outbound, dead, now, nobody_protected)));
  s.on_dial_finished(last.dial, {}, true, now);
  EXPECT_FALSE(s.backoff_until(dead, now));
  EXPECT_EQ(s.stats().dials_failed, 6u);
}

TEST(HostSwarm, BackoffEntriesAreBounded) {
  SwarmConfig c = small_config();
  c.backoff_addrs_max = 3;
  Swarm s(peer(0), c);
  for (int i = 1; i <= 10; ++i) {
    Multiaddr a = addr("/ip4/10.1.0." + std::to_string(i) + "/tcp/1");
    auto plan = std::get<DialPlan>(s.dial(std::nullopt, {a}, t0 + seconds(i)));
    s.on_dial_finished(plan.dial, {a}, false, t0 + seconds(i));
    EXPECT_LE(s.backoff_entries(), 3u);
  }
  // The newest stay.
  EXPECT_TRUE(s.backoff_until(addr("/ip4/10.1.0.10/tcp/1"), t0 + seconds(10)));
  EXPECT_FALSE(s.backoff_until(addr("/ip4/10.1.0.1/tcp/1"), t0 + seconds(2)));
}

TEST(HostSwarm, BansRefuseDialsAndConnectionsAndCloseTheOpenOnes) {
  Swarm s(peer(0), small_config());
  connect(s, 1, peer(1), Direction::inbound, t0);
  connect(s, 2, peer(1), Direction::outbound, t0);
  s.ban(peer(1), seconds(60), "sent a corrupt block", t0);
  auto closes = drain_actions<CloseConnection>(s);
  ASSERT_EQ(closes.size(), 2u);
  EXPECT_EQ(closes[0].reason, CloseReason::banned);
  EXPECT_FALSE(s.connection_to(peer(1)));
  auto dial = std::get<Refusal>(s.dial(peer(1), {addr("/ip4/10.0.0.1/tcp/1")}, t0));
  EXPECT_EQ(dial.reason, RefusalReason::banned);
  auto in = std::get<Refusal>(s.on_secured(3, peer(1), Direction::inbound,
                                           addr("/ip4/10.0.0.3/tcp/1"), t0, nobody_protected));
  EXPECT_EQ(in.reason, RefusalReason::banned);
  // Closing reports go through once per connection; the ban lapses.
  s.on_connection_closed(1, CloseReason::banned, "", t0);
  s.on_connection_closed(2, CloseReason::banned, "", t0);
  s.on_connection_closed(2, CloseReason::banned, "", t0);
  EXPECT_EQ(s.stats().closes.at(CloseReason::banned), 2u);
  EXPECT_EQ(s.connections(), 0u);
  EXPECT_TRUE(std::holds_alternative<DialPlan>(
      s.dial(peer(1), {addr("/ip4/10.0.0.1/tcp/1")}, t0 + seconds(61))));
}

TEST(HostSwarm, StreamsAreChargedPerScopeAndRefundedWithTheirConnection) {
  Swarm s(peer(0), small_config());
  ProtocolConfig kad{.limits = {.all_peers = {4, 4, 0}, .per_peer = {2, 2, 0}}};
  ASSERT_TRUE(s.add_protocol("/kad", kad).ok());
  ASSERT_TRUE(s.add_protocol("/ping", {}).ok());
  connect(s, 1, peer(1), Direction::inbound, t0);
  connect(s, 2, peer(2), Direction::inbound, t0);
  EXPECT_EQ(s.on_stream_opened(1, 1, "/nope", Direction::inbound, t0)->reason,
            RefusalReason::unknown_protocol);
  EXPECT_FALSE(s.on_stream_opened(1, 1, "/kad", Direction::inbound, t0));
  EXPECT_FALSE(s.on_stream_opened(1, 3, "/kad", Direction::inbound, t0));
  EXPECT_EQ(s.on_stream_opened(1, 5, "/kad", Direction::inbound, t0)->scope, Scope::peer_protocol);
  EXPECT_FALSE(s.on_stream_opened(1, 7, "/ping", Direction::inbound, t0));
  EXPECT_EQ(s.on_stream_opened(1, 9, "/ping", Direction::inbound, t0)->scope, Scope::peer);
  EXPECT_FALSE(s.on_stream_opened(2, 1, "/kad", Direction::inbound, t0));
  EXPECT_FALSE(s.on_stream_opened(2, 3, "/kad", Direction::inbound, t0));
  EXPECT_EQ(s.on_stream_opened(2, 5, "/ping", Direction::inbound, t0)->scope, Scope::system);
  EXPECT_EQ(s.streams(), 5u);
  // Stream 1 on connection 1 closes; the connection then closes with its other two.
  s.on_stream_closed(1, 1);
  s.on_stream_closed(1, 1);
  EXPECT_EQ(s.resources().peer(peer(1)).streams_inbound, 2u);
  s.on_connection_closed(1, CloseReason::remote_closed, "eof", t0);
  EXPECT_EQ(s.resources().peer(peer(1)).streams_inbound, 0u);
  EXPECT_EQ(s.resources().system().streams_inbound, 2u);
  EXPECT_EQ(s.on_stream_opened(1, 11, "/ping", Direction::inbound, t0)->reason,
            RefusalReason::not_connected);
  EXPECT_EQ(s.stats().refusals.at({Scope::peer_protocol, "streams_inbound_max"}), 1u);
}

TEST(HostSwarm, BufferedBytesAreChargedPerStreamAndReleasedWhenItCloses) {
  SwarmConfig c = small_config();
  c.resources.peer.memory_bytes_max = 1000;
  c.resources.system.memory_bytes_max = 1500;
  Swarm s(peer(0), c);
  ProtocolConfig bulk{.limits = {.all_peers = {4, 4, 1 << 20}, .per_peer = {3, 3, 600}}};
  ASSERT_TRUE(s.add_protocol("/bulk", bulk).ok());
  ASSERT_TRUE(s.add_protocol("/other", bulk).ok());
  connect(s, 1, peer(1), Direction::inbound, t0);
  connect(s, 2, peer(2), Direction::inbound, t0);
  ASSERT_FALSE(s.on_stream_opened(1, 1, "/bulk", Direction::inbound, t0));
  ASSERT_FALSE(s.on_stream_opened(1, 3, "/bulk", Direction::inbound, t0));
  ASSERT_FALSE(s.on_stream_opened(1, 5, "/other", Direction::inbound, t0));
  ASSERT_FALSE(s.on_stream_opened(2, 1, "/bulk", Direction::inbound, t0));
  EXPECT_FALSE(s.reserve_stream_memory(1, 1, 400));
  EXPECT_FALSE(s.reserve_stream_memory(1, 3, 200));
  // (peer 1, /bulk) holds 600: its next byte is refused, whichever stream asks.
  auto pair_full = s.reserve_stream_memory(1, 3, 1);
  ASSERT_TRUE(pair_full);
  EXPECT_EQ(pair_full->scope, Scope::peer_protocol);
  EXPECT_EQ(pair_full->limit, "memory_bytes_max");
  // Peer 1 holds 600 of its 1000 across protocols.
  EXPECT_FALSE(s.reserve_stream_memory(1, 5, 400));
  EXPECT_EQ(s.reserve_stream_memory(1, 5, 1)->scope, Scope::peer);
  // The system holds 1000 of 1500.
  EXPECT_FALSE(s.reserve_stream_memory(2, 1, 500));
  EXPECT_EQ(s.reserve_stream_memory(2, 1, 1)->scope, Scope::system);
  EXPECT_EQ(s.stats().refusals.at({Scope::peer_protocol, "memory_bytes_max"}), 1u);
  // Releasing more than a stream holds releases what it holds.
  s.release_stream_memory(1, 1, 10000);
  EXPECT_EQ(s.stream_memory(1, 1), 0u);
  EXPECT_EQ(s.resources().peer(peer(1)).memory_bytes, 600u);
  // A stream's close releases what it still holds; its connection's close, its streams'.
  s.on_stream_closed(1, 3);
  EXPECT_EQ(s.resources().peer_protocol(peer(1), "/bulk").memory_bytes, 0u);
  s.on_connection_closed(1, CloseReason::remote_closed, "eof", t0);
  EXPECT_EQ(s.resources().peer(peer(1)).memory_bytes, 0u);
  EXPECT_EQ(s.resources().system().memory_bytes, 500u);
  s.release_stream_memory(1, 5, 400);  // gone: nothing to release
  EXPECT_EQ(s.resources().system().memory_bytes, 500u);
  EXPECT_EQ(s.reserve_stream_memory(1, 5, 1)->reason, RefusalReason::not_connected);
  s.on_connection_closed(2, CloseReason::remote_closed, "eof", t0);
  EXPECT_TRUE(s.resources().system().empty());
  EXPECT_EQ(s.resources().peers_tracked(), 0u);
}

TEST(HostSwarm, IdleStreamsAreResetOncePerProtocolTimeout) {
  Swarm s(peer(0), small_config());
  ASSERT_TRUE(s.add_protocol("/slow", {.idle_timeout = seconds(10)}).ok());
  ASSERT_TRUE(s.add_protocol("/forever", {}).ok());
  connect(s, 1, peer(1), Direction::inbound, t0);
  ASSERT_FALSE(s.on_stream_opened(1, 1, "/slow", Direction::inbound, t0));
  ASSERT_FALSE(s.on_stream_opened(1, 3, "/forever", Direction::inbound, t0));
  EXPECT_EQ(s.next_timer(), t0 + seconds(10));
  s.on_stream_activity(1, 1, t0 + seconds(6));
  EXPECT_EQ(s.next_timer(), t0 + seconds(16));
  s.on_timer(t0 + seconds(15));
  EXPECT_TRUE(drain_actions<ResetStream>(s).empty());
  s.on_timer(t0 + seconds(16));
  auto resets = drain_actions<ResetStream>(s);
  ASSERT_EQ(resets.size(), 1u);
  EXPECT_EQ(resets[0].stream, 1u);
  s.on_timer(t0 + seconds(100));
  EXPECT_TRUE(drain_actions<ResetStream>(s).empty());  // once, until the runtime closes it
  EXPECT_FALSE(s.next_timer());
  EXPECT_EQ(s.stats().streams_idle_reset, 1u);
}

TEST(HostSwarm, AdmissionTrimBecomesACloseAction) {
  SwarmConfig c = small_config();
  c.limits.connections_max = 3;
  c.limits.outbound_reserve = 1;  // two inbound
  Swarm s(peer(0), c);
  auto first = s.on_secured(1, peer(1), Direction::inbound, addr("/ip4/10.0.0.1/tcp/1"), t0,
                            nobody_protected);
  auto second = s.on_secured(2, peer(2), Direction::inbound, addr("/ip4/10.0.0.2/tcp/1"),
                             t0 + seconds(1), nobody_protected);
  ASSERT_TRUE(std::holds_alternative<Admitted>(first) && std::holds_alternative<Admitted>(second));
  auto third = s.on_secured(3, peer(3), Direction::inbound, addr("/ip4/10.9.0.3/tcp/1"),
                            t0 + seconds(2), nobody_protected);
  ASSERT_TRUE(std::holds_alternative<Admitted>(third));
  EXPECT_EQ(std::get<Admitted>(third).trim, ConnectionId(2));
  auto closes = drain_actions<CloseConnection>(s);
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].reason, CloseReason::admission_trim);
}

TEST(HostSwarm, EventQueueIsBoundedAndCountsDrops) {
  SwarmConfig c = small_config();
  c.queue_max = 4;
  Swarm s(peer(0), c);
  for (int i = 0; i < 10; ++i) (void)s.dial(peer(0), {addr("/ip4/10.0.0.1/tcp/1")}, t0);
  EXPECT_EQ(s.queued_events(), 4u);
  EXPECT_EQ(s.stats().events_dropped, 6u);
  auto e = s.poll_event();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, SwarmEvent::Type::refused);
  EXPECT_EQ(e->refusal.reason, RefusalReason::self_dial);
}

TEST(HostSwarm, InboundAdmissionNamesTheSourceScope) {
  SwarmConfig c = small_config();
  c.limits.pending_inbound_handshakes_per_ip_max = 1;
  Swarm s(peer(0), c);
  auto source = ip_source(addr("/ip4/203.0.113.7/tcp/5"));
  EXPECT_FALSE(s.on_inbound_accepted(source, t0));
  auto second = s.on_inbound_accepted(source, t0);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->scope, Scope::ip);
  EXPECT_STREQ(second->limit, "pending_inbound_handshakes_per_ip_max");
  s.on_inbound_ended(source);
  EXPECT_FALSE(s.on_inbound_accepted(source, t0));
}

}  // namespace
}  // namespace agora::host
