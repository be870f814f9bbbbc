// behaviour::AutonatBehaviour over the MemoryNetwork: a dialable asker hears OK with the address
// that answered; one behind a NAT hears E_DIAL_ERROR; the server never dials an address at
// another IP than the request's (E_DIAL_REFUSED), refuses a DIAL naming another peer id
// (E_BAD_REQUEST) and refuses past its per-peer rate; a node that does not serve refuses the
// protocol.
#include "behaviour/autonat_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"

namespace agora::sim {
namespace {

using autonat::ResponseStatus;
using behaviour::AutonatAnswer;
using behaviour::AutonatBehaviour;
using behaviour::AutonatConfig;
using behaviour::AutonatServed;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

struct AutonatPair : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2)),
                        nc = net.add_node(peer(3));
  AutonatBehaviour asker{peer(1), AutonatConfig{.serve = false}};
  std::vector<AutonatServed> served;

  void start(AutonatBehaviour& server) {
    net.add_behaviour(na, asker);
    net.add_behaviour(nb, server);
    ASSERT_TRUE(net.connect(na, nb).ok());
  }
  // Asks once, lets it run, and returns the answer (the server's events go to `served`).
  Result<autonat::DialResponse> ask(AutonatBehaviour& server, std::vector<Multiaddr> ours) {
    EXPECT_TRUE(asker.ask(peer(2), std::move(ours), {}, net.now()).ok());
    net.wake(na, asker);
    EXPECT_TRUE(net.run_for(seconds(1)).ok());
    while (auto e = server.poll_event())
      if (auto* s = std::get_if<AutonatServed>(&*e)) served.push_back(*s);
    std::optional<Result<autonat::DialResponse>> out;
    while (auto e = asker.poll_event())
      if (auto* a = std::get_if<AutonatAnswer>(&*e)) out = a->response;
    if (!out) return make_error(Errc::timeout, "no answer");
    return *out;
  }
};

TEST_F(AutonatPair, ADialableAskerIsDialledBackAtItsAddress) {
  AutonatBehaviour server{peer(2), AutonatConfig{}};
  start(server);
  auto r = ask(server, {MemoryNetwork::address_of(na)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, ResponseStatus::ok);
  EXPECT_EQ(r->addr, MemoryNetwork::address_of(na));
  ASSERT_EQ(served.size(), 1u);
  EXPECT_EQ(served[0].status, ResponseStatus::ok);
  EXPECT_EQ(served[0].peer, peer(1));
}

TEST_F(AutonatPair, AnAskerBehindANatHearsADialError) {
  AutonatBehaviour server{peer(2), AutonatConfig{}};
  start(server);  // it dialled out: its connection works
  net.set_dialable(na, false);
  auto r = ask(server, {MemoryNetwork::address_of(na)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, ResponseStatus::dial_error);
  EXPECT_NE(r->status_text.find("no answer"), std::string::npos) << r->status_text;
  EXPECT_FALSE(r->addr);
}

TEST_F(AutonatPair, OnlyAddressesAtTheRequestsIpAreDialled) {
  AutonatBehaviour server{peer(2), AutonatConfig{}};
  start(server);
  // Node C's address: a peer must not make the server dial somebody else.
  auto r = ask(server, {MemoryNetwork::address_of(nc)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, ResponseStatus::dial_refused);
  EXPECT_NE(r->status_text.find("where the request came from"), std::string::npos);
  auto mixed =
      behaviour::dial_back_addresses({MemoryNetwork::address_of(nc), MemoryNetwork::address_of(na),
                                      MemoryNetwork::address_of(na).with_peer_id(peer(1)),
                                      Multiaddr::parse("/ip4/10.0.0.1/udp/4001").value()},
                                     MemoryNetwork::address_of(na), 4);
  EXPECT_EQ(mixed, std::vector<Multiaddr>{MemoryNetwork::address_of(na)});
}

TEST_F(AutonatPair, ADialNamingAnotherPeerIsABadRequest) {
  AutonatBehaviour server{peer(2), AutonatConfig{}};
  AutonatBehaviour liar{peer(3), AutonatConfig{.serve = false}};  // says it is peer 3
  net.add_behaviour(na, liar);
  net.add_behaviour(nb, server);
  ASSERT_TRUE(net.connect(na, nb).ok());
  ASSERT_TRUE(liar.ask(peer(2), {MemoryNetwork::address_of(na)}, {}, net.now()).ok());
  net.wake(na, liar);
  ASSERT_TRUE(net.run_for(seconds(1)).ok());
  auto e = liar.poll_event();
  ASSERT_TRUE(e);
  auto* a = std::get_if<AutonatAnswer>(&*e);
  ASSERT_TRUE(a && a->response.ok());
  EXPECT_EQ(a->response->status, ResponseStatus::bad_request);
}

TEST_F(AutonatPair, DialBacksPastThePeersRateAreRefused) {
  AutonatBehaviour server{peer(2), AutonatConfig{.peer_interval = seconds(20), .peer_burst = 2}};
  start(server);
  for (int i = 0; i < 2; ++i) {
    auto r = ask(server, {MemoryNetwork::address_of(na)});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, ResponseStatus::ok);
  }
  auto third = ask(server, {MemoryNetwork::address_of(na)});
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->status, ResponseStatus::dial_refused);
  EXPECT_NE(third->status_text.find("rate"), std::string::npos) << third->status_text;
  ASSERT_TRUE(net.run_for(seconds(20)).ok());  // a token back
  auto later = ask(server, {MemoryNetwork::address_of(na)});
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->status, ResponseStatus::ok);
}

TEST_F(AutonatPair, ANodeThatDoesNotServeRefusesTheProtocol) {
  AutonatBehaviour server{peer(2), AutonatConfig{.serve = false}};
  start(server);
  auto r = ask(server, {MemoryNetwork::address_of(na)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unsupported);
}

}  // namespace
}  // namespace agora::sim
