// behaviour::DiagBehaviour over the MemoryNetwork: an opted-in peer answers with what its Source
// gives for the asker's authenticated id; a peer that is not opted in refuses the protocol; a
// flood past the rate is refused; a malformed request is refused.
#include "behaviour/diag_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"

namespace agora::sim {
namespace {

using behaviour::DiagAnswer;
using behaviour::DiagBehaviour;
using behaviour::DiagConfig;
using behaviour::DiagRefused;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

struct DiagPair : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2));
  std::vector<std::string> askers;  // whom the server's Source was asked for
  DiagBehaviour::Source source = [this](const PeerId& asker, const diag::DiagRequest& q) {
    askers.push_back(asker.to_string());
    diag::DiagResponse r;
    r.server_time_ns = 42;
    diag::DiagSpan s;
    s.span_id[0] = 1;
    s.name = "served";
    s.key = q.keys.empty() ? "" : q.keys[0];
    r.spans.push_back(s);
    return r;
  };
  DiagBehaviour asker{DiagConfig{}, {}};

  std::vector<behaviour::DiagEvent> ask_times(DiagBehaviour& server, int n) {
    for (int i = 0; i < n; ++i) {
      diag::DiagRequest q{.keys = {"bafy"}, .from_ns = 0, .to_ns = 10};
      EXPECT_TRUE(asker.ask(peer(2), q, {}, net.now()).ok());
    }
    net.wake(na, asker);
    EXPECT_TRUE(net.run_for(seconds(2)).ok());
    std::vector<behaviour::DiagEvent> out;
    while (auto e = asker.poll_event()) out.push_back(std::move(*e));
    while (auto e = server.poll_event()) out.push_back(std::move(*e));
    return out;
  }
};

TEST_F(DiagPair, AnOptedInPeerAnswersForTheAskersAuthenticatedId) {
  DiagBehaviour server{DiagConfig{.serve = true}, source};
  net.add_behaviour(na, asker);
  net.add_behaviour(nb, server);
  ASSERT_TRUE(net.connect(na, nb).ok());
  auto events = ask_times(server, 1);
  ASSERT_EQ(events.size(), 1u);
  auto* answer = std::get_if<DiagAnswer>(&events[0]);
  ASSERT_TRUE(answer);
  ASSERT_TRUE(answer->response.ok()) << answer->response.error().to_string();
  EXPECT_EQ(answer->response->server_time_ns, 42);
  ASSERT_EQ(answer->response->spans.size(), 1u);
  EXPECT_EQ(answer->response->spans[0].key, "bafy");
  EXPECT_EQ(askers, std::vector<std::string>{peer(1).to_string()});
}

TEST_F(DiagPair, APeerThatIsNotOptedInRefusesTheProtocol) {
  DiagBehaviour server{DiagConfig{.serve = false}, source};
  net.add_behaviour(na, asker);
  net.add_behaviour(nb, server);
  ASSERT_TRUE(net.connect(na, nb).ok());
  auto events = ask_times(server, 1);
  ASSERT_EQ(events.size(), 1u);
  auto* answer = std::get_if<DiagAnswer>(&events[0]);
  ASSERT_TRUE(answer);
  ASSERT_FALSE(answer->response.ok());
  EXPECT_EQ(answer->response.error().code, Errc::unsupported);
  EXPECT_TRUE(askers.empty());
}

TEST_F(DiagPair, AFloodIsRefusedPastTheRate) {
  DiagBehaviour server{
      DiagConfig{.serve = true, .requests_per_second = 1, .burst = 5, .inbound_per_peer_max = 32},
      source};
  net.add_behaviour(na, asker);
  net.add_behaviour(nb, server);
  ASSERT_TRUE(net.connect(na, nb).ok());
  auto events = ask_times(server, 20);
  size_t answered = 0, failed = 0, refused = 0;
  for (auto& e : events) {
    if (auto* a = std::get_if<DiagAnswer>(&e)) (a->response.ok() ? answered : failed)++;
    if (auto* r = std::get_if<DiagRefused>(&e)) {
      EXPECT_EQ(r->reason, "rate");
      EXPECT_EQ(r->peer, peer(1));
      ++refused;
    }
  }
  EXPECT_EQ(answered, 5u);  // the burst
  EXPECT_EQ(failed, 15u);
  // Most are refused by the rate; a few arrive while refused ones still count against the
  // request/response layer's inbound caps and are reset there, before the rate is looked at.
  EXPECT_GE(refused, 10u);
  EXPECT_EQ(askers.size(), 5u);
  EXPECT_EQ(server.answered(), 5u);
}

TEST_F(DiagPair, AMalformedRequestIsRefused) {
  DiagBehaviour server{DiagConfig{.serve = true}, source};
  net.add_behaviour(na, asker);
  net.add_behaviour(nb, server);
  ASSERT_TRUE(net.connect(na, nb).ok());
  diag::DiagRequest wide{.from_ns = 0, .to_ns = DiagConfig{}.limits.window_ns_max + 1};
  ASSERT_TRUE(asker.ask(peer(2), wide, {}, net.now()).ok());
  net.wake(na, asker);
  ASSERT_TRUE(net.run_for(seconds(2)).ok());
  auto answer = asker.poll_event();
  ASSERT_TRUE(answer);
  EXPECT_FALSE(std::get<DiagAnswer>(*answer).response.ok());
  auto refused = server.poll_event();
  ASSERT_TRUE(refused);
  EXPECT_EQ(std::get<DiagRefused>(*refused).reason, "malformed");
  EXPECT_TRUE(askers.empty());
}

}  // namespace
}  // namespace agora::sim
