// host::RequestResponse over the MemoryNetwork: answers, timeouts both ways, one-way requests,
// pipelined requests answered out of order, and peers that flood or never answer.
#include "host/request_response.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"
#include "runtime/sim/scripted_behaviour.h"

namespace agora::sim {
namespace {

using host::InboundRequest;
using host::RequestResponse;
using host::RequestResponseConfig;
using host::Response;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
constexpr const char* kProto = "/test/rr/1";

RequestResponseConfig rr_config() {
  RequestResponseConfig c;
  c.protocol = kProto;
  c.framing.message_bytes_max = 1024;
  c.outbound_max = 4;
  c.inbound_max = 4;
  c.inbound_per_peer_max = 4;
  c.pipelined_max = 3;
  c.request_timeout = seconds(2);
  c.response_timeout = seconds(2);
  c.idle_timeout = seconds(5);
  return c;
}

// A behaviour made of one RequestResponse; answers each request reversed when `answer` is set.
class RrBehaviour final : public host::Behaviour {
 public:
  explicit RrBehaviour(RequestResponseConfig c = rr_config()) : rr(std::move(c)) {}
  RequestResponse rr;
  bool answer = true;
  std::vector<Response> responses;
  std::vector<InboundRequest> requests;

  std::vector<host::ProtocolSpec> protocols() const override { return {rr.spec()}; }
  void on_stream_opened(const host::StreamOpened& s, Instant now) override {
    rr.on_stream_opened(s, now);
    drain();
  }
  void on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) override {
    rr.on_stream_open_failed(f, now);
    drain();
  }
  void on_message(host::StreamRef ref, Bytes m, Instant now) override {
    rr.on_message(ref, m, now);
    drain();
  }
  void on_stream_finished(host::StreamRef ref, Instant now) override {
    rr.on_stream_finished(ref, now);
    drain();
  }
  void on_stream_closed(host::StreamRef ref, const Error& e, Instant now) override {
    rr.on_stream_closed(ref, e, now);
    drain();
  }
  void on_timer(Instant now) override {
    rr.on_timer(now);
    drain();
  }
  std::optional<Instant> next_timer() const override { return rr.next_timer(); }
  std::optional<host::BehaviourAction> poll_action() override { return rr.poll_action(); }

 private:
  void drain() {
    while (auto e = rr.poll_event()) {
      if (auto* r = std::get_if<Response>(&*e)) responses.push_back(std::move(*r));
      if (auto* q = std::get_if<InboundRequest>(&*e)) {
        if (answer) (void)rr.respond(q->id, Bytes(q->request.rbegin(), q->request.rend()));
        requests.push_back(std::move(*q));
      }
    }
  }
};

struct RrPair : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  RrBehaviour client, server;
  MemoryNetwork::NodeId nc = net.add_node(peer(1)), ns = net.add_node(peer(2));
  void SetUp() override {
    net.add_behaviour(nc, client);
    net.add_behaviour(ns, server);
    ASSERT_TRUE(net.connect(nc, ns).ok());
  }
  host::RequestId ask(Bytes request, bool expect_response = true) {
    auto id = client.rr.request(peer(2), std::move(request), {}, net.now(), expect_response);
    EXPECT_TRUE(id.ok());
    net.wake(nc, client);
    return id.ok() ? *id : 0;
  }
};

TEST_F(RrPair, ARequestGetsItsAnswerAndBothStreamsEndCleanly) {
  host::RequestId id = ask({1, 2, 3});
  ASSERT_TRUE(net.run_for(milliseconds(100)).ok());
  ASSERT_EQ(client.responses.size(), 1u);
  EXPECT_EQ(client.responses[0].id, id);
  ASSERT_TRUE(client.responses[0].response.ok());
  EXPECT_EQ(*client.responses[0].response, (Bytes{3, 2, 1}));
  EXPECT_EQ(net.streams(), 0u);
  EXPECT_EQ(client.rr.streams() + server.rr.streams(), 0u);
}

TEST_F(RrPair, AOneWayRequestEndsOnceThePeerHasReadIt) {
  ask({9}, false);
  ASSERT_TRUE(net.run_for(milliseconds(100)).ok());
  ASSERT_EQ(server.requests.size(), 1u);
  ASSERT_EQ(client.responses.size(), 1u);
  EXPECT_TRUE(client.responses[0].response.ok());
  EXPECT_EQ(net.streams(), 0u);
}

TEST_F(RrPair, AnUnansweredRequestTimesOutOnBothSides) {
  server.answer = false;
  ask({1});
  ASSERT_TRUE(net.run_for(seconds(3)).ok());
  ASSERT_EQ(client.responses.size(), 1u);
  EXPECT_EQ(client.responses[0].response.error().code, Errc::timeout);
  EXPECT_EQ(server.rr.inbound(), 0u);
  EXPECT_EQ(net.streams(), 0u);
  EXPECT_FALSE(server.rr.respond(server.requests[0].id, {1}).ok());  // too late
}

TEST_F(RrPair, RequestsInFlightAreBounded) {
  server.answer = false;
  for (int i = 0; i < 4; ++i) ask({uint8_t(i)});
  auto fifth = client.rr.request(peer(2), {5}, {}, net.now());
  ASSERT_FALSE(fifth.ok());
  EXPECT_EQ(fifth.error().code, Errc::limit);
}

TEST_F(RrPair, ARequestToAPeerWeCannotReachFails) {
  auto id = client.rr.request(peer(7), {1}, {}, net.now());
  ASSERT_TRUE(id.ok());
  net.wake(nc, client);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(client.responses.size(), 1u);
  EXPECT_EQ(client.responses[0].response.error().code, Errc::not_found);
  EXPECT_EQ(client.rr.outbound(), 0u);
}

TEST_F(RrPair, ARequestOverTheMessageLimitIsRefusedAtOnce) {
  auto id = client.rr.request(peer(2), Bytes(1025, 0), {}, net.now());
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, Errc::too_large);
}

// The server side against a client written by hand.
struct Served : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  ScriptedBehaviour client{{RequestResponse(rr_config()).spec()}};
  RrBehaviour server;
  MemoryNetwork::NodeId nc = net.add_node(peer(1)), ns = net.add_node(peer(2));
  host::StreamRef ref;
  void SetUp() override {
    net.add_behaviour(nc, client);
    net.add_behaviour(ns, server);
    ASSERT_TRUE(net.connect(nc, ns).ok());
    client.push(host::OpenStream{.peer = peer(2), .protocol = kProto, .tag = 1});
    net.wake(nc, client);
    ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
    ASSERT_EQ(client.opened.size(), 1u);
    ref = client.opened[0].ref;
  }
  void send(std::vector<Bytes> requests) {
    for (auto& r : requests) client.push(host::SendMessage{ref, r});
    net.wake(nc, client);
    ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  }
};

TEST_F(Served, PipelinedRequestsAreAnsweredInOrderEvenWhenAnsweredOutOfOrder) {
  server.answer = false;
  send({{1}, {2}, {3}});
  ASSERT_EQ(server.requests.size(), 3u);
  ASSERT_TRUE(server.rr.respond(server.requests[2].id, {30}).ok());
  ASSERT_TRUE(server.rr.respond(server.requests[1].id, {20}).ok());
  net.wake(ns, server);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  EXPECT_TRUE(client.messages.empty());  // the first is not answered yet
  ASSERT_TRUE(server.rr.respond(server.requests[0].id, {10}).ok());
  net.wake(ns, server);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(client.messages.size(), 3u);
  EXPECT_EQ(client.messages[0].second, Bytes{10});
  EXPECT_EQ(client.messages[1].second, Bytes{20});
  EXPECT_EQ(client.messages[2].second, Bytes{30});
}

TEST_F(Served, MoreRequestsOnOneStreamThanPipelinedMaxResetIt) {
  server.answer = false;
  send({{1}, {2}, {3}, {4}});
  EXPECT_EQ(server.requests.size(), 3u);
  ASSERT_EQ(client.closed.size(), 1u);
  EXPECT_EQ(server.rr.inbound(), 0u);
  EXPECT_EQ(server.rr.streams(), 0u);
}

TEST_F(Served, OnePeerCannotTakeEveryInboundSlot) {
  server.answer = false;
  send({{1}, {2}, {3}});  // pipelined_max on the first stream
  client.push(host::OpenStream{.peer = peer(2), .protocol = kProto, .tag = 2});
  net.wake(nc, client);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(client.opened.size(), 2u);
  host::StreamRef second = client.opened[1].ref;
  client.push(host::SendMessage{second, {4}});  // the peer's fourth: inbound_per_peer_max
  client.push(host::SendMessage{second, {5}});  // one more: refused
  net.wake(nc, client);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  EXPECT_EQ(server.requests.size(), 4u);
  EXPECT_EQ(server.rr.inbound(), 3u);  // the second stream's were dropped with it
  ASSERT_EQ(client.closed.size(), 1u);
  EXPECT_EQ(client.closed[0].first, second);
}

TEST(RequestResponseServed, AStreamIsResetPastRequestsPerStreamMax) {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  RequestResponseConfig c = rr_config();
  c.requests_per_stream_max = 5;
  ScriptedBehaviour client{{RequestResponse(c).spec()}};
  RrBehaviour server(c);
  auto nc = net.add_node(peer(1)), ns = net.add_node(peer(2));
  net.add_behaviour(nc, client);
  net.add_behaviour(ns, server);
  ASSERT_TRUE(net.connect(nc, ns).ok());
  client.push(host::OpenStream{.peer = peer(2), .protocol = kProto, .tag = 1});
  net.wake(nc, client);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(client.opened.size(), 1u);
  for (uint8_t i = 0; i < 6; ++i) {  // answered one by one: never more than one pipelined
    client.push(host::SendMessage{client.opened[0].ref, {i}});
    net.wake(nc, client);
    ASSERT_TRUE(net.run_for(milliseconds(20)).ok());
  }
  EXPECT_EQ(server.requests.size(), 5u);
  EXPECT_EQ(client.messages.size(), 5u);
  ASSERT_EQ(client.closed.size(), 1u);
}

TEST_F(Served, AnIdleStreamIsResetAfterIdleTimeout) {
  ASSERT_TRUE(net.run_for(seconds(6)).ok());
  ASSERT_EQ(client.closed.size(), 1u);
  EXPECT_EQ(server.rr.streams(), 0u);
}

TEST_F(Served, ThePeersEofAfterItsRequestsClosesOursOnceAllAreAnswered) {
  send({{1}, {2}});
  client.push(host::CloseWrite{ref});
  net.wake(nc, client);
  ASSERT_TRUE(net.run_for(milliseconds(20)).ok());
  EXPECT_EQ(client.messages.size(), 2u);
  EXPECT_EQ(client.finished.size(), 1u);
  EXPECT_EQ(net.streams(), 0u);
}

}  // namespace
}  // namespace agora::sim
