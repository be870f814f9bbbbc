// behaviour::PerfBehaviour over the MemoryNetwork's byte streams: honest runs, and peers that ask
// too much, open too many streams, never read, or trickle. Also the byte-stream path itself:
// credit bounds what is handed over, the window and the send queue bound what is buffered.
#include "behaviour/perf_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"
#include "runtime/sim/scripted_behaviour.h"

namespace agora::sim {
namespace {

using behaviour::kPerfProtocol;
using behaviour::PerfBehaviour;
using behaviour::PerfConfig;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

host::ProtocolSpec perf_spec() {
  host::ProtocolSpec s;
  s.name = kPerfProtocol;
  s.framing = {.kind = host::Framing::Kind::bytes, .message_bytes_max = 8};
  s.send_queue_bytes_max = 1 << 20;
  return s;
}

Bytes request(uint64_t download_bytes) {
  Bytes r(8);
  put_u64_be(r.data(), download_bytes);
  return r;
}

const PerfConfig kConfig{.chunk_bytes = 64 * 1024, .stall_timeout = seconds(2)};

struct PerfPair : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2));
  void connect() { ASSERT_TRUE(net.connect(na, nb).ok()); }
};

TEST_F(PerfPair, AnHonestRunMovesEveryByteBothWays) {
  PerfBehaviour client(kConfig), server(kConfig);
  net.add_behaviour(na, client);
  net.add_behaviour(nb, server);
  connect();
  const uint64_t up = 3 * 1024 * 1024 + 7, down = 5 * 1024 * 1024 + 3;
  auto id = client.run(peer(2), 0, up, down, net.now());
  ASSERT_TRUE(id.ok());
  net.wake(na, client);
  ASSERT_TRUE(net.run_for(seconds(30)).ok());
  auto done = client.poll_result();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->id, *id);
  ASSERT_TRUE(done->result.ok()) << done->result.error().to_string();
  EXPECT_EQ(done->result->upload_bytes, up);
  EXPECT_EQ(done->result->download_bytes, down);
  EXPECT_GT(done->result->upload_time, Duration::zero());
  EXPECT_GT(done->result->download_time, Duration::zero());
  EXPECT_EQ(net.streams(), 0u);  // closed cleanly by both sides
  EXPECT_EQ(client.streams(), 0u);
  EXPECT_EQ(server.streams(), 0u);
  EXPECT_FALSE(server.poll_refusal().has_value());
}

// A download that takes longer than stall_timeout but keeps moving is never cut: neither perf's
// per-chunk deadline nor the close linger (which starts when the client closes its upload).
TEST_F(PerfPair, ALongDownloadThatKeepsMovingIsNeverCut) {
  PerfBehaviour client(kConfig), server(kConfig);
  net.add_behaviour(na, client);
  net.add_behaviour(nb, server);
  connect();
  // 256 KiB per 10 ms round trip: about 4 s for 100 MiB, twice the 2 s stall_timeout.
  ASSERT_TRUE(client.run(peer(2), 0, 0, 100 << 20, net.now()).ok());
  net.wake(na, client);
  ASSERT_TRUE(net.run_for(seconds(30)).ok());
  auto done = client.poll_result();
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->result.ok()) << done->result.error().to_string();
  EXPECT_EQ(done->result->download_bytes, uint64_t(100) << 20);
  EXPECT_GT(done->result->download_time, kConfig.stall_timeout);
}

TEST_F(PerfPair, ARunWithNoServerFailsAtOnce) {
  PerfBehaviour client(kConfig);
  net.add_behaviour(na, client);
  auto id = client.run(peer(2), 0, 1, 1, net.now());  // not connected
  ASSERT_TRUE(id.ok());
  net.wake(na, client);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  auto done = client.poll_result();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->result.error().code, Errc::not_found);
}

// The server never grants read credit: nothing is handed to it, the client's bytes stop at the
// window plus its two queued chunks, and the client's run fails at the stall deadline.
TEST_F(PerfPair, AServerThatNeverReadsStallsTheRunWithBoundedBuffers) {
  PerfBehaviour client(kConfig);
  ScriptedBehaviour sink({perf_spec()});
  net.add_behaviour(na, client);
  net.add_behaviour(nb, sink);
  connect();
  ASSERT_TRUE(client.run(peer(2), 0, 100 << 20, 0, net.now()).ok());
  net.wake(na, client);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_TRUE(sink.bytes.empty());
  // The window (256 KiB), two queued chunks and the request: no more.
  EXPECT_LE(net.byte_stream_buffered_bytes(), 256 * 1024 + 2 * kConfig.chunk_bytes + 8);
  EXPECT_GT(net.byte_stream_buffered_bytes(), 256 * 1024u);
  ASSERT_TRUE(net.run_for(seconds(5)).ok());
  auto done = client.poll_result();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->result.error().code, Errc::timeout) << done->result.error().to_string();
  EXPECT_EQ(net.streams(), 0u);
}

TEST_F(PerfPair, CreditBoundsWhatIsHandedOverAndTheWindowWhatIsSent) {
  ScriptedBehaviour sender({perf_spec()}), receiver({perf_spec()});
  net.add_behaviour(na, sender);
  net.add_behaviour(nb, receiver);
  connect();
  sender.push(host::OpenStream{peer(2), kPerfProtocol, 1, 0, {}});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  ASSERT_EQ(sender.opened.size(), 1u);
  host::StreamRef ref = sender.opened[0].ref;
  auto block = std::make_shared<const Bytes>(128 * 1024, 0xab);
  for (uint64_t token = 1; token <= 4; ++token)
    sender.push(host::SendBytes{ref, {block, 0, block->size()}, token});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_TRUE(receiver.bytes.empty());                      // no credit, nothing handed over
  EXPECT_EQ(sender.tokens, (std::vector<uint64_t>{1, 2}));  // 256 KiB window: two of four
  receiver.push(host::ReadBytes{ref, 1000});
  net.wake(nb, receiver);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_EQ(receiver.bytes.size(), 1000u);
  receiver.push(host::ReadBytes{ref, 1 << 20});
  net.wake(nb, receiver);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_EQ(receiver.bytes, Bytes(512 * 1024, 0xab));
  EXPECT_EQ(sender.tokens, (std::vector<uint64_t>{1, 2, 3, 4}));
  // Past the send queue's bound (1 MiB beyond the window) the stream is reset, not buffered.
  for (int i = 0; i < 12; ++i) sender.push(host::SendBytes{ref, {block, 0, block->size()}, 0});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  ASSERT_EQ(sender.closed.size(), 1u);
  EXPECT_EQ(sender.closed[0].second.code, Errc::limit);
  EXPECT_EQ(receiver.closed.size(), 1u);
}

// Bytes queued behind the window are charged to the resource manager, as rt::BehaviourHost charges
// its queue: past the (peer, protocol) memory limit the stream is reset, and what it held is
// released.
TEST_F(PerfPair, QueuedBytesAreChargedToTheResourceManager) {
  host::ProtocolSpec spec = perf_spec();
  spec.send_queue_bytes_max = 4 << 20;
  spec.config.limits.per_peer.memory_bytes_max = 512 * 1024;
  ScriptedBehaviour sender({spec}), receiver({spec});
  net.add_behaviour(na, sender);
  net.add_behaviour(nb, receiver);
  connect();
  sender.push(host::OpenStream{peer(2), kPerfProtocol, 1, 0, {}});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  host::StreamRef ref = sender.opened.at(0).ref;
  auto block = std::make_shared<const Bytes>(128 * 1024, 0xab);
  auto charged = [&] {
    return net.swarm(na).resources().peer_protocol(peer(2), kPerfProtocol).memory_bytes;
  };
  for (int i = 0; i < 4; ++i) sender.push(host::SendBytes{ref, {block, 0, block->size()}, 0});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_EQ(charged(), 256u * 1024);  // two in the 256 KiB window, two queued
  for (int i = 0; i < 3; ++i) sender.push(host::SendBytes{ref, {block, 0, block->size()}, 0});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  ASSERT_EQ(sender.closed.size(), 1u);
  EXPECT_EQ(sender.closed[0].second.code, Errc::limit);
  EXPECT_NE(sender.closed[0].second.message.find("resource manager"), std::string::npos);
  EXPECT_EQ(net.swarm(na).stats().refusals.at({host::Scope::peer_protocol, "memory_bytes_max"}),
            1u);
  EXPECT_TRUE(net.swarm(na).resources().system().empty());
}

// The close is heard after every byte before it, and only with credit left.
TEST_F(PerfPair, TheCloseFollowsTheBytes) {
  ScriptedBehaviour sender({perf_spec()}), receiver({perf_spec()});
  net.add_behaviour(na, sender);
  net.add_behaviour(nb, receiver);
  connect();
  sender.push(host::OpenStream{peer(2), kPerfProtocol, 1, 0, {}});
  net.wake(na, sender);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  host::StreamRef ref = sender.opened.at(0).ref;
  sender.push(host::SendMessage{ref, Bytes{1, 2, 3}, 0});
  sender.push(host::CloseWrite{ref});
  net.wake(na, sender);
  receiver.push(host::ReadBytes{ref, 2});
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  net.wake(nb, receiver);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_EQ(receiver.bytes, (Bytes{1, 2}));
  EXPECT_TRUE(receiver.finished.empty());
  receiver.push(host::ReadBytes{ref, 2});
  net.wake(nb, receiver);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_EQ(receiver.bytes, (Bytes{1, 2, 3}));
  EXPECT_EQ(receiver.finished.size(), 1u);
}

struct PerfServer : PerfPair {
  ScriptedBehaviour attacker{{perf_spec()}};
  PerfBehaviour server{kConfig};
  void SetUp() override {
    net.add_behaviour(na, attacker);
    net.add_behaviour(nb, server);
    connect();
  }
  host::StreamRef open(uint64_t tag) {
    attacker.push(host::OpenStream{peer(2), kPerfProtocol, tag, 0, {}});
    net.wake(na, attacker);
    EXPECT_TRUE(net.run_for(milliseconds(100)).ok());
    return attacker.opened.back().ref;
  }
  void send(host::StreamRef ref, Bytes data) {
    attacker.push(host::SendMessage{ref, std::move(data), 0});
    net.wake(na, attacker);
  }
};

TEST_F(PerfServer, ARequestOverTheCapIsRefused) {
  PerfConfig small = kConfig;
  small.download_bytes_max = 1 << 20;
  PerfBehaviour capped(small);
  MemoryNetwork::NodeId nc = net.add_node(peer(3));
  net.add_behaviour(nc, capped);
  ASSERT_TRUE(net.connect(na, nc).ok());
  attacker.push(host::OpenStream{peer(3), kPerfProtocol, 1, 0, {}});
  net.wake(na, attacker);
  ASSERT_TRUE(net.run_for(milliseconds(100)).ok());
  send(attacker.opened.back().ref, request((1 << 20) + 1));
  ASSERT_TRUE(net.run_for(milliseconds(100)).ok());
  auto refusal = capped.poll_refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "too_large");
  EXPECT_EQ(refusal->peer, peer(1));
  ASSERT_EQ(attacker.closed.size(), 1u);  // reset
  EXPECT_EQ(capped.streams(), 0u);
}

TEST_F(PerfServer, OnePeerGetsOneStreamAndATricklerIsReset) {
  host::StreamRef first = open(1);
  open(2);
  auto refusal = server.poll_refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "limit");
  EXPECT_EQ(server.streams(), 1u);
  send(first, request(1000));
  // A byte every 200 ms never makes a whole chunk: reset at the stall deadline.
  for (int i = 0; i < 15; ++i) {
    send(first, Bytes{0});
    ASSERT_TRUE(net.run_for(milliseconds(200)).ok());
  }
  refusal = server.poll_refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "stalled");
  EXPECT_NE(refusal->detail.find("upload"), std::string::npos) << refusal->detail;
  EXPECT_EQ(server.streams(), 0u);
  // The slot came back: the same peer is served again.
  host::StreamRef again = open(3);
  send(again, request(10));
  ASSERT_TRUE(net.run_for(milliseconds(100)).ok());
  EXPECT_FALSE(server.poll_refusal().has_value());
  EXPECT_EQ(server.streams(), 1u);
}

// concurrent_streams_max holds across peers: the fifth peer is refused, the first four served.
TEST_F(PerfPair, ConcurrentStreamsAreBoundedAcrossPeers) {
  PerfBehaviour server(kConfig);
  net.add_behaviour(na, server);
  std::vector<std::unique_ptr<ScriptedBehaviour>> peers;
  for (uint8_t i = 0; i < 5; ++i) {
    MemoryNetwork::NodeId n = net.add_node(peer(uint8_t(10 + i)));
    peers.push_back(std::make_unique<ScriptedBehaviour>(std::vector{perf_spec()}));
    net.add_behaviour(n, *peers.back());
    ASSERT_TRUE(net.connect(n, na).ok());
    peers.back()->push(host::OpenStream{peer(1), kPerfProtocol, 1, 0, {}});
    net.wake(n, *peers.back());
    ASSERT_TRUE(net.run_for(milliseconds(100)).ok());
  }
  EXPECT_EQ(server.streams(), 4u);
  auto refusal = server.poll_refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "limit");
  EXPECT_EQ(refusal->peer, peer(14));
  EXPECT_FALSE(server.poll_refusal().has_value());
}

// A requester that never reads holds at most the window and two chunks of the answer, then is
// reset at the stall deadline.
TEST_F(PerfServer, ARequesterThatNeverReadsIsResetWithBoundedBuffers) {
  host::StreamRef ref = open(1);
  send(ref, request(300'000'000));
  attacker.push(host::CloseWrite{ref});
  net.wake(na, attacker);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  EXPECT_FALSE(server.poll_refusal().has_value());
  ASSERT_TRUE(net.run_for(seconds(3)).ok());
  auto refusal = server.poll_refusal();
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "stalled");
  EXPECT_NE(refusal->detail.find("download"), std::string::npos) << refusal->detail;
  EXPECT_TRUE(attacker.bytes.empty());
  EXPECT_EQ(server.streams(), 0u);
}

}  // namespace
}  // namespace agora::sim
