// The MemoryNetwork's own contract: negotiation, ordered delivery, half-close, resets, framing
// limits, the swarm's stream caps and connection loss, each seen from both ends.
#include "runtime/sim/memory_network.h"

#include <gtest/gtest.h>

#include "runtime/sim/scripted_behaviour.h"

namespace agora::sim {
namespace {

using std::chrono::milliseconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
constexpr const char* kEcho = "/test/echo/1";

host::ProtocolSpec echo_spec(size_t per_peer_inbound = 4) {
  host::ProtocolSpec s;
  s.name = kEcho;
  s.framing.message_bytes_max = 100;
  s.config.limits.per_peer.streams_inbound_max = per_peer_inbound;
  return s;
}

struct Pair : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  ScriptedBehaviour a{{echo_spec()}}, b{{echo_spec()}};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2));
  void SetUp() override {
    net.add_behaviour(na, a);
    net.add_behaviour(nb, b);
    ASSERT_TRUE(net.connect(na, nb).ok());
  }
  host::StreamRef open_a_to_b(uint64_t tag = 7) {
    a.push(host::OpenStream{.peer = peer(2), .protocol = kEcho, .tag = tag});
    net.wake(na, a);
    EXPECT_TRUE(net.run_for(milliseconds(10)).ok());
    EXPECT_FALSE(a.opened.empty());
    return a.opened.back().ref;
  }
};

TEST_F(Pair, BothEndsHearTheConnection) {
  ASSERT_EQ(a.connections.size(), 1u);
  ASSERT_EQ(b.connections.size(), 1u);
  EXPECT_EQ(a.connections[0].peer, peer(2));
  EXPECT_EQ(a.connections[0].direction, host::Direction::outbound);
  EXPECT_EQ(b.connections[0].direction, host::Direction::inbound);
}

TEST_F(Pair, AStreamOpensAfterARoundTripAndMessagesArriveInOrder) {
  a.push(host::OpenStream{.peer = peer(2), .protocol = kEcho, .tag = 7});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(9)).ok());
  EXPECT_EQ(b.opened.size(), 1u);  // after one latency
  EXPECT_TRUE(a.opened.empty());   // the answer takes another
  ASSERT_TRUE(net.run_for(milliseconds(1)).ok());
  ASSERT_EQ(a.opened.size(), 1u);
  EXPECT_EQ(a.opened[0].tag, 7u);
  host::StreamRef ref = a.opened[0].ref;
  for (uint8_t i = 0; i < 5; ++i) a.push(host::SendMessage{ref, Bytes(3, i)});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(5)).ok());
  ASSERT_EQ(b.messages.size(), 5u);
  for (uint8_t i = 0; i < 5; ++i) EXPECT_EQ(b.messages[i].second, Bytes(3, i));
}

TEST_F(Pair, HalfCloseEndsTheStreamOnceBothSidesClosed) {
  host::StreamRef ref = open_a_to_b();
  a.push(host::CloseWrite{ref});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(5)).ok());
  ASSERT_EQ(b.finished.size(), 1u);
  EXPECT_TRUE(a.closed.empty());             // b has not closed its side
  b.push(host::SendMessage{ref, Bytes{1}});  // the other direction still works
  b.push(host::CloseWrite{ref});
  net.wake(nb, b);
  EXPECT_EQ(b.closed.size(), 1u);  // b: read done and write closed
  ASSERT_TRUE(net.run_for(milliseconds(5)).ok());
  EXPECT_EQ(a.messages.size(), 1u);
  ASSERT_EQ(a.closed.size(), 1u);
  EXPECT_EQ(net.streams(), 0u);
  EXPECT_EQ(net.swarm(na).streams(), 0u);
  EXPECT_EQ(net.swarm(nb).streams(), 0u);
}

TEST_F(Pair, AResetReachesThePeerAfterOneLatency) {
  host::StreamRef ref = open_a_to_b();
  a.push(host::AbortStream{ref, "changed my mind"});
  net.wake(na, a);
  EXPECT_EQ(a.closed.size(), 1u);
  EXPECT_TRUE(b.closed.empty());
  ASSERT_TRUE(net.run_for(milliseconds(5)).ok());
  ASSERT_EQ(b.closed.size(), 1u);
  EXPECT_NE(b.closed[0].second.message.find("changed my mind"), std::string::npos);
}

TEST_F(Pair, AMessageOverTheFramingLimitResetsTheStreamAndIsNeverDelivered) {
  host::StreamRef ref = open_a_to_b();
  a.push(host::SendMessage{ref, Bytes(101, 0)});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  EXPECT_TRUE(b.messages.empty());
  ASSERT_EQ(a.closed.size(), 1u);
  EXPECT_EQ(a.closed[0].second.code, Errc::too_large);
  EXPECT_EQ(b.closed.size(), 1u);
}

TEST_F(Pair, AnUnservedProtocolFailsAsUnsupported) {
  ScriptedBehaviour other{{[] {
    host::ProtocolSpec s = echo_spec();
    s.name = "/test/other/1";
    return s;
  }()}};
  net.add_behaviour(na, other);
  other.push(host::OpenStream{.peer = peer(2), .protocol = "/test/other/1", .tag = 3});
  net.wake(na, other);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(other.open_failed.size(), 1u);
  EXPECT_EQ(other.open_failed[0].error.code, Errc::unsupported);
  EXPECT_EQ(net.swarm(na).streams(), 0u);  // the charge was given back
}

TEST_F(Pair, ThePeersStreamCapRefusesTheStreamPastIt) {
  for (uint64_t tag = 1; tag <= 5; ++tag)
    a.push(host::OpenStream{.peer = peer(2), .protocol = kEcho, .tag = tag});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  EXPECT_EQ(b.opened.size(), 4u);  // echo_spec's per-peer inbound cap
  ASSERT_EQ(a.open_failed.size(), 1u);
  EXPECT_EQ(a.open_failed[0].error.code, Errc::limit);
}

TEST_F(Pair, LosingTheConnectionEndsEveryStreamOnBothSides) {
  open_a_to_b(1);
  open_a_to_b(2);
  net.disconnect(a.connections[0].connection, "test");
  EXPECT_EQ(a.closed.size(), 2u);
  EXPECT_EQ(b.closed.size(), 2u);
  ASSERT_EQ(a.connections_ended.size(), 1u);
  EXPECT_TRUE(a.connections_ended[0].last);
  EXPECT_EQ(net.streams(), 0u);
  a.push(host::OpenStream{.peer = peer(2), .protocol = kEcho, .tag = 9});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(1)).ok());
  ASSERT_EQ(a.open_failed.size(), 1u);
  EXPECT_EQ(a.open_failed[0].error.code, Errc::not_found);
}

TEST_F(Pair, PunishingAPeerWithABanDisconnectsAndRefusesItsReturn) {
  b.push(host::PunishPeer{.peer = peer(1), .how_long = std::chrono::minutes(1), .why = "lied"});
  net.wake(nb, b);
  EXPECT_EQ(net.connections(), 0u);
  EXPECT_FALSE(net.connect(na, nb).ok());
  ASSERT_TRUE(net.run_for(std::chrono::minutes(2)).ok());
  EXPECT_TRUE(net.connect(na, nb).ok());
}

TEST_F(Pair, AConnectionLostBeforeTheOpenerHeardOfItsStreamFailsTheOpen) {
  a.push(host::OpenStream{.peer = peer(2), .protocol = kEcho, .tag = 4});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(6)).ok());
  ASSERT_EQ(b.opened.size(), 1u);  // accepted; the answer is on its way
  net.disconnect(a.connections[0].connection, "test");
  ASSERT_EQ(a.open_failed.size(), 1u);
  EXPECT_EQ(a.open_failed[0].tag, 4u);
  EXPECT_TRUE(a.closed.empty());  // never opened, so never closed
  EXPECT_EQ(b.closed.size(), 1u);
  EXPECT_EQ(net.swarm(na).streams(), 0u);
}

// Spans, as rt::BehaviourHost records them: the opener's traced request and the server's
// stream, their bytes (framed) and outcomes; TraceStream gives the served span its context.
TEST_F(Pair, StreamsAreRecordedAsSpansOnBothSides) {
  uint64_t n = 0;
  auto entropy = [&n](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = uint8_t(++n);
  };
  observe::SpanRecorder spans_a({}, entropy), spans_b({}, entropy);
  net.set_spans(na, &spans_a);
  net.set_spans(nb, &spans_b);
  TraceContext context{.trace_id = TraceId{7}, .span_id = SpanId{9}};
  a.push(host::OpenStream{.peer = peer(2),
                          .protocol = kEcho,
                          .tag = 1,
                          .trace = host::StreamTrace{context, "bafykey"}});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  host::StreamRef ref = a.opened.at(0).ref;
  b.push(host::TraceStream{ref, context, "bafykey"});
  net.wake(nb, b);
  a.push(host::SendMessage{ref, Bytes(10, 1)});
  a.push(host::CloseWrite{ref});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  b.push(host::SendMessage{ref, Bytes(20, 2)});
  b.push(host::CloseWrite{ref});
  net.wake(nb, b);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());

  auto mine = spans_a.trace(TraceId{7});
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].name, "request");
  EXPECT_EQ(mine[0].parent_span_id, SpanId{9});
  EXPECT_EQ(mine[0].peer, peer(2).to_string());
  EXPECT_EQ(mine[0].bytes_sent, 11u);  // 10 bytes and their length prefix
  EXPECT_EQ(mine[0].bytes_received, 21u);
  EXPECT_EQ(mine[0].outcome, "ok");
  // On the virtual clock: from the open to b's close arriving (b closed 20 ms in, +5 ms latency).
  EXPECT_EQ(mine[0].end_ns - mine[0].start_ns, 25'000'000);
  auto served = spans_b.trace(TraceId{7});
  ASSERT_EQ(served.size(), 1u);
  EXPECT_EQ(served[0].name, "served");
  EXPECT_TRUE(served[0].inbound);
  EXPECT_EQ(served[0].key, "bafykey");
  EXPECT_EQ(served[0].peer, peer(1).to_string());
  EXPECT_EQ(served[0].bytes_received, 11u);
  EXPECT_EQ(served[0].outcome, "ok");

  // An untraced open records nothing on the opener; an abort is "aborted" there, "reset" here.
  ref = open_a_to_b(2);
  a.push(host::AbortStream{ref, "changed my mind"});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(5)).ok());
  EXPECT_EQ(spans_a.size(), 1u);
  ASSERT_EQ(spans_b.size(), 2u);
  auto all = spans_b.since(0, 10).spans;
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].outcome, "reset");
  EXPECT_NE(all[1].detail.find("changed my mind"), std::string::npos);
}

// A traced open to a peer it must dial first: one span, from the open (the dial included).
TEST_F(Pair, ARequestSpanIncludesTheDialItWaitedFor) {
  uint64_t n = 0;
  observe::SpanRecorder spans_a({}, [&n](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = uint8_t(++n);
  });
  net.set_spans(na, &spans_a);
  ScriptedBehaviour c{{echo_spec()}};
  MemoryNetwork::NodeId nc = net.add_node(peer(3));
  net.add_behaviour(nc, c);
  const int64_t asked_ns = std::chrono::nanoseconds(net.now().time_since_epoch()).count();
  TraceContext context{.trace_id = TraceId{8}, .span_id = SpanId{1}};
  a.push(host::OpenStream{.peer = peer(3),
                          .protocol = kEcho,
                          .tag = 1,
                          .addrs = {MemoryNetwork::address_of(nc)},
                          .trace = host::StreamTrace{context, "bafykey"}});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(30)).ok());
  ASSERT_EQ(a.opened.size(), 1u);
  a.push(host::AbortStream{a.opened[0].ref, "done"});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(5)).ok());
  auto mine = spans_a.trace(TraceId{8});
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].start_ns, asked_ns);
  EXPECT_EQ(mine[0].outcome, "aborted");
}

TEST(MemoryNetwork, ANodeCannotConnectToItself) {
  MemoryNetwork net;
  auto n = net.add_node(peer(1));
  EXPECT_FALSE(net.connect(n, n).ok());
}

}  // namespace
}  // namespace agora::sim

namespace agora::sim {
namespace {

// The swarm's idle timeouts, driven by the network as by rt::Swarm: a stream that moves nothing
// for its protocol's idle_timeout is reset at both ends; one that keeps moving is not.
TEST(IdleTimeout, AQuietStreamIsResetAndABusyOneIsNot) {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  host::ProtocolSpec spec = echo_spec();
  spec.config.idle_timeout = milliseconds(500);
  ScriptedBehaviour a{{spec}}, b{{spec}};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2));
  net.add_behaviour(na, a);
  net.add_behaviour(nb, b);
  ASSERT_TRUE(net.connect(na, nb).ok());
  for (uint64_t tag : {1, 2})
    a.push(host::OpenStream{.peer = peer(2), .protocol = kEcho, .tag = tag});
  net.wake(na, a);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(a.opened.size(), 2u);
  host::StreamRef busy = a.opened[1].ref;
  for (int i = 0; i < 10; ++i) {  // 2 s: the busy stream sends every 200 ms
    a.push(host::SendMessage{busy, Bytes{1}, 0});
    net.wake(na, a);
    ASSERT_TRUE(net.run_for(milliseconds(200)).ok());
  }
  ASSERT_EQ(a.closed.size(), 1u);  // the quiet one only
  EXPECT_EQ(a.closed[0].first, a.opened[0].ref);
  EXPECT_NE(a.closed[0].second.message.find("idle"), std::string::npos)
      << a.closed[0].second.to_string();
  EXPECT_EQ(b.closed.size(), 1u);
  EXPECT_EQ(net.swarm(na).stats().streams_idle_reset, 1u);
  EXPECT_EQ(net.streams(), 1u);
}

}  // namespace
}  // namespace agora::sim
