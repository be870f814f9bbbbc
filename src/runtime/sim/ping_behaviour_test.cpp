// behaviour::PingBehaviour over the MemoryNetwork: honest pings, and peers that lie, stall,
// vanish or push past the spec's stream cap.
#include "behaviour/ping_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"
#include "runtime/sim/scripted_behaviour.h"

namespace agora::sim {
namespace {

using behaviour::kPingPayloadBytes;
using behaviour::kPingProtocol;
using behaviour::PingBehaviour;
using behaviour::PingConfig;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

// Deterministic payloads: a counter in every byte.
host::Entropy counter_entropy() {
  auto n = std::make_shared<uint8_t>(0);
  return [n](std::span<uint8_t> out) {
    ++*n;
    for (auto& b : out) b = *n;
  };
}

host::ProtocolSpec ping_spec() {
  host::ProtocolSpec s;
  s.name = kPingProtocol;
  s.framing = {.kind = host::Framing::Kind::fixed_size, .message_bytes_max = kPingPayloadBytes};
  s.config.limits.per_peer.streams_inbound_max = 16;
  s.config.limits.per_peer.streams_outbound_max = 16;
  return s;
}

struct PingPair : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  PingBehaviour pinger{PingConfig{.reply_timeout = seconds(2)}, counter_entropy()};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2));

  void connect() { ASSERT_TRUE(net.connect(na, nb).ok()); }
  behaviour::PingResult ping_and_wait(int count, Duration wait = seconds(5)) {
    auto id = pinger.ping(peer(2), count, net.now());
    EXPECT_TRUE(id.ok());
    net.wake(na, pinger);
    EXPECT_TRUE(net.run_for(wait).ok());
    auto r = pinger.poll_result();
    EXPECT_TRUE(r.has_value());
    if (!r) return {0, {}, make_error(Errc::internal, "no result")};
    EXPECT_EQ(r->id, *id);
    return std::move(*r);
  }
};

TEST_F(PingPair, AnHonestPeerEchoesEveryPingOnOneStream) {
  PingBehaviour server{PingConfig{}, counter_entropy()};
  net.add_behaviour(na, pinger);
  net.add_behaviour(nb, server);
  connect();
  auto r = ping_and_wait(3);
  ASSERT_TRUE(r.rtts.ok()) << r.rtts.error().to_string();
  ASSERT_EQ(r.rtts->size(), 3u);
  for (Duration rtt : *r.rtts) EXPECT_EQ(rtt, milliseconds(10));  // two latencies
  EXPECT_EQ(net.messages_delivered(), 6u);
  EXPECT_EQ(net.streams(), 0u);  // closed cleanly by both sides
  EXPECT_EQ(server.streams_served(), 0u);
  EXPECT_EQ(pinger.pings_in_flight(), 0u);
}

TEST_F(PingPair, AReplyThatDoesNotMatchIsAProtocolError) {
  ScriptedBehaviour liar{{ping_spec()}};
  liar.echo = false;
  net.add_behaviour(na, pinger);
  net.add_behaviour(nb, liar);
  connect();
  auto id = pinger.ping(peer(2), 1, net.now());
  ASSERT_TRUE(id.ok());
  net.wake(na, pinger);
  ASSERT_TRUE(net.run_for(milliseconds(15)).ok());
  ASSERT_EQ(liar.messages.size(), 1u);
  liar.push(host::SendMessage{liar.messages[0].first, Bytes(kPingPayloadBytes, 0xee)});
  net.wake(nb, liar);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  auto r = pinger.poll_result();
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->rtts.ok());
  EXPECT_EQ(r->rtts.error().code, Errc::protocol);
  EXPECT_EQ(liar.closed.size(), 1u);  // we reset the stream
}

TEST_F(PingPair, APeerThatNeverRepliesTimesOut) {
  ScriptedBehaviour silent{{ping_spec()}};
  net.add_behaviour(na, pinger);
  net.add_behaviour(nb, silent);
  connect();
  auto r = ping_and_wait(1);
  ASSERT_FALSE(r.rtts.ok());
  EXPECT_EQ(r.rtts.error().code, Errc::timeout);
  EXPECT_EQ(silent.closed.size(), 1u);
  EXPECT_EQ(net.streams(), 0u);
}

TEST_F(PingPair, APeerThatDoesNotSpeakPingFailsAtOnce) {
  ScriptedBehaviour other{{}};
  net.add_behaviour(na, pinger);
  net.add_behaviour(nb, other);
  connect();
  auto r = ping_and_wait(1, milliseconds(20));
  ASSERT_FALSE(r.rtts.ok());
  EXPECT_EQ(r.rtts.error().code, Errc::unsupported);
}

TEST_F(PingPair, PingingAPeerWeAreNotConnectedToFails) {
  net.add_behaviour(na, pinger);
  auto r = ping_and_wait(1, milliseconds(1));
  ASSERT_FALSE(r.rtts.ok());
  EXPECT_EQ(r.rtts.error().code, Errc::not_found);
}

TEST_F(PingPair, LosingTheConnectionMidPingFailsIt) {
  ScriptedBehaviour silent{{ping_spec()}};
  net.add_behaviour(na, pinger);
  net.add_behaviour(nb, silent);
  connect();
  ASSERT_TRUE(pinger.ping(peer(2), 5, net.now()).ok());
  net.wake(na, pinger);
  ASSERT_TRUE(net.run_for(milliseconds(20)).ok());
  net.disconnect(silent.connections[0].connection, "gone");
  auto r = pinger.poll_result();
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->rtts.ok());
  EXPECT_EQ(r->rtts.error().code, Errc::closed);
}

TEST_F(PingPair, TheServerHoldsEachPeerToTwoStreams) {
  PingBehaviour server{PingConfig{}, counter_entropy()};
  ScriptedBehaviour flooder{{ping_spec()}};
  net.add_behaviour(na, flooder);
  net.add_behaviour(nb, server);
  connect();
  for (uint64_t tag = 1; tag <= 4; ++tag)
    flooder.push(host::OpenStream{.peer = peer(2), .protocol = kPingProtocol, .tag = tag});
  net.wake(na, flooder);
  ASSERT_TRUE(net.run_for(milliseconds(20)).ok());
  EXPECT_EQ(flooder.opened.size(), 2u);
  EXPECT_EQ(flooder.open_failed.size(), 2u);
  EXPECT_EQ(server.streams_served(), 2u);
}

TEST_F(PingPair, AMessageOfTheWrongSizeNeverLeavesTheSender) {
  // Messages of the wrong size never leave: a fixed-size protocol refuses them at the sender.
  ScriptedBehaviour sender{{ping_spec()}};
  PingBehaviour server{PingConfig{}, counter_entropy()};
  net.add_behaviour(na, sender);
  net.add_behaviour(nb, server);
  connect();
  sender.push(host::OpenStream{.peer = peer(2), .protocol = kPingProtocol, .tag = 1});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(sender.opened.size(), 1u);
  sender.push(host::SendMessage{sender.opened[0].ref, Bytes(kPingPayloadBytes - 1, 1)});
  net.wake(na, sender);
  ASSERT_EQ(sender.closed.size(), 1u);
  EXPECT_EQ(sender.closed[0].second.code, Errc::invalid_input);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  EXPECT_EQ(server.streams_served(), 0u);
}

TEST(PingBehaviour, PingsInFlightAndUnreadResultsAreBounded) {
  PingBehaviour p{PingConfig{.pings_in_flight_max = 2}, counter_entropy()};
  Instant t0{};
  EXPECT_TRUE(p.ping(peer(2), 1, t0).ok());
  EXPECT_TRUE(p.ping(peer(2), 1, t0).ok());
  auto third = p.ping(peer(2), 1, t0);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, Errc::limit);
  EXPECT_FALSE(p.ping(peer(2), 0, t0).ok());
  p.on_timer(t0 + seconds(11));  // both time out; their results wait unread
  EXPECT_FALSE(p.ping(peer(2), 1, t0).ok());
  EXPECT_TRUE(p.poll_result());
  EXPECT_TRUE(p.ping(peer(2), 1, t0).ok());
}

}  // namespace
}  // namespace agora::sim
