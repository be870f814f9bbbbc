// The Asio swarm carries out host::Swarm's policy on real sockets: two dials to one peer share one
// connection, a failed address backs off and is tried last, streams are charged to the resource
// manager while they live and refunded when they end, and closes are counted by typed cause.
#include <gtest/gtest.h>

#include <future>

#include "node/ping_service.h"
#include "victim_fixture.h"

namespace agora {
namespace {

using namespace std::chrono_literals;
using test::eventually;
using test::metric;
using test::on_loop;

using DialResult = Result<std::shared_ptr<rt::Connection>>;
using StreamResult = Result<std::shared_ptr<rt::Stream>>;

class SwarmPolicyTest : public test::VictimAndHonestPeer {
 protected:
  // Starts `n` dials from the honest peer in one turn of the loop; the futures hold their results.
  std::vector<std::future<DialResult>> dial_victim(std::vector<Multiaddr> addrs, int n = 1) {
    std::vector<std::shared_ptr<std::promise<DialResult>>> promises;
    std::vector<std::future<DialResult>> futures;
    for (int i = 0; i < n; ++i) {
      promises.push_back(std::make_shared<std::promise<DialResult>>());
      futures.push_back(promises.back()->get_future());
    }
    asio::post(io_, [this, promises, addrs] {
      for (const auto& p : promises)
        asio::co_spawn(
            io_,
            [this, p, addrs]() -> rt::awaitable<void> {
              p->set_value(co_await honest_->swarm().dial_peer(victim_->peer_id(), addrs));
            },
            asio::detached);
    });
    return futures;
  }
  host::SwarmStats honest_stats() {
    return on_loop(io_, [&] { return honest_->swarm().policy().stats(); });
  }
  // The honest peer's connection to the victim; null when the dial failed or did not answer.
  std::shared_ptr<rt::Connection> connect_honest() {
    auto conn = test::await_on_loop<DialResult>(
        io_, [this] { return honest_->swarm().dial_peer(victim_->peer_id(), {victim_addr_}); },
        test::kAttackWait);
    return conn && conn->ok() ? **conn : nullptr;
  }
  // Opens `n` ping streams from the honest peer, one after another, and keeps them open; stops at
  // the first that gets no answer at all.
  std::vector<StreamResult> open_pings(std::shared_ptr<rt::Connection> c, int n) {
    std::vector<StreamResult> out;
    for (int i = 0; i < n; ++i) {
      auto stream = test::await_on_loop<StreamResult>(
          io_,
          [this, c] {
            return honest_->swarm().open_stream(c, std::vector<std::string>{kPingProtocol});
          },
          test::kAttackWait);
      if (!stream) break;
      out.push_back(std::move(*stream));
    }
    return out;
  }
  // Streams end on the loop that owns their connection.
  void release(std::vector<StreamResult>& streams) {
    on_loop(io_, [&] {
      streams.clear();
      return 0;
    });
  }
  // What the honest peer holds at the victim: all its protocols, or one.
  host::ScopeUsage victim_usage_of_honest(const char* protocol = nullptr) {
    return on_loop(io_, [&] {
      const host::ResourceManager& rm = victim_->swarm().policy().resources();
      return protocol ? rm.peer_protocol(honest_->peer_id(), protocol)
                      : rm.peer(honest_->peer_id());
    });
  }
  // No mDNS: the only dials are the test's.
  static store::Config quiet() {
    store::Config c;
    c.discovery.mdns = false;
    return c;
  }
  // A loopback address nothing listens on: bind a port, then close it.
  static Multiaddr dead_address() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    uint16_t port = a.local_endpoint().port();
    a.close();
    return Multiaddr::from_tcp("127.0.0.1", port, false);
  }
};

TEST_F(SwarmPolicyTest, ConcurrentDialsToOnePeerShareOneConnection) {
  start(quiet(), quiet());
  host::SwarmStats before = honest_stats();
  auto dials = dial_victim({victim_addr_}, 2);
  auto& first = dials[0];
  auto& second = dials[1];
  ASSERT_EQ(first.wait_for(test::kAttackWait), std::future_status::ready);
  ASSERT_EQ(second.wait_for(test::kAttackWait), std::future_status::ready);
  DialResult a = first.get(), b = second.get();
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(a->get(), b->get());
  host::SwarmStats stats = honest_stats();
  EXPECT_EQ(stats.dials_started - before.dials_started, 1u);
  EXPECT_EQ(stats.dials_joined - before.dials_joined, 1u);
  EXPECT_EQ(on_loop(io_, [&] { return honest_->swarm().connections().size(); }), 1u);
}

TEST_F(SwarmPolicyTest, AFailedAddressBacksOffAndIsTriedLast) {
  start(quiet(), quiet());
  Multiaddr dead = dead_address();
  auto failed = dial_victim({dead})[0].get();
  uint64_t dials_failed = honest_stats().dials_failed;
  EXPECT_FALSE(failed.ok());
  EXPECT_TRUE(on_loop(
      io_, [&] { return honest_->swarm().policy().backoff_until(dead, rt::now()).has_value(); }));
  double failures = metric(*honest_, "agora_dial_failures_total{reason=\"io\"}");
  EXPECT_GE(failures, 1);
  // Given first, the backed-off address is tried after the good one, which connects: no new
  // failure.
  auto connected = dial_victim({dead, victim_addr_})[0].get();
  ASSERT_TRUE(connected.ok()) << connected.error().to_string();
  EXPECT_EQ(metric(*honest_, "agora_dial_failures_total{reason=\"io\"}"), failures);
  EXPECT_EQ(honest_stats().dials_failed, dials_failed);
}

TEST_F(SwarmPolicyTest, StreamsAreChargedWhileTheyLiveAndRefundedAfter) {
  start(quiet(), quiet());
  ASSERT_TRUE(honest_ping().ok());
  auto opened = [&](node::Node& n) {
    return on_loop(io_, [&] { return n.swarm().policy().stats().streams_opened; });
  };
  EXPECT_GE(opened(*victim_), 1u);  // identify and ping, at least
  EXPECT_GE(opened(*honest_), 1u);
  auto idle = [&](node::Node& n) {
    return on_loop(io_, [&] {
      host::ScopeUsage u = n.swarm().policy().resources().system();
      return u.streams_inbound == 0 && u.streams_outbound == 0;
    });
  };
  // The ping and identify streams end; their charges come back on both sides.
  EXPECT_TRUE(eventually([&] { return idle(*victim_) && idle(*honest_); }, 5000ms));
  EXPECT_EQ(on_loop(io_, [&] { return victim_->swarm().policy().resources().peers_tracked(); }),
            0u);
}

TEST_F(SwarmPolicyTest, ClosesAreCountedByTypedCause) {
  start(quiet(), quiet());
  ASSERT_TRUE(honest_ping().ok());
  PeerId honest = honest_->peer_id();
  on_loop(io_, [&] { return victim_->swarm().disconnect(honest, "test asked"); });
  EXPECT_TRUE(eventually(
      [&] {
        return metric(*victim_, "agora_connection_close_causes_total{cause=\"requested\"}") >= 1;
      },
      5000ms));
  // A fresh connection, once the honest peer has seen the old one close.
  EXPECT_TRUE(eventually([&] { return honest_ping().ok(); }, 5000ms));
  on_loop(io_, [&] {
    victim_->swarm().ban(honest, 60s, "test ban");
    return 0;
  });
  EXPECT_TRUE(eventually(
      [&] {
        return metric(*victim_, "agora_connection_close_causes_total{cause=\"banned\"}") >= 1;
      },
      5000ms));
  // The ban holds: the next connection is refused once the handshake names the peer.
  auto refused_as_banned = [&] {
    return on_loop(io_, [&] {
      auto& refusals = victim_->swarm().policy().stats().refusals;
      auto it = refusals.find({host::Scope::peer, "banned"});
      return it == refusals.end() ? uint64_t(0) : it->second;
    });
  };
  EXPECT_TRUE(eventually(
      [&] {
        EXPECT_FALSE(honest_ping().ok());
        return refused_as_banned() >= 1;
      },
      5000ms));
}

// Ping's cap (2 inbound streams per peer, per the spec) is the swarm's: the third stream one peer
// holds open is reset before the ping handler runs, and the refusal is counted with its scope.
TEST_F(SwarmPolicyTest, APeersThirdPingStreamIsRefusedByTheResourceManager) {
  start(quiet(), quiet());
  std::shared_ptr<rt::Connection> c = connect_honest();
  ASSERT_TRUE(c);
  std::vector<StreamResult> opened = open_pings(c, 3);
  ASSERT_EQ(opened.size(), 3u);
  // The third may already see the victim's reset while it reads the protocol's confirmation.
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(opened[i].ok()) << "stream " << i << ": " << opened[i].error().to_string();
  const std::string refused =
      "agora_refusals_total{limit=\"streams_inbound_max\",protocol=\"/ipfs/ping/1.0.0\","
      "scope=\"peer_protocol\"}";
  EXPECT_TRUE(eventually([&] { return metric(*victim_, refused) == 1; }, 5000ms));
  EXPECT_EQ(victim_usage_of_honest(kPingProtocol).streams_inbound, 2u);
  release(opened);
  EXPECT_TRUE(eventually([&] { return victim_usage_of_honest(kPingProtocol).streams_inbound == 0; },
                         5000ms));
}

// [limits] streams_per_peer_max reaches the resource manager: with 1, a peer's second stream (of
// any protocol) is refused in the peer scope.
TEST_F(SwarmPolicyTest, StreamsPerPeerFromTheConfigBoundEveryProtocolTogether) {
  store::Config victim = quiet();
  victim.limits.streams_per_peer_max = 1;
  start(victim, quiet());
  std::shared_ptr<rt::Connection> c = connect_honest();
  ASSERT_TRUE(c);
  // Identify's streams come and go; then one ping stream is held and a second one refused.
  EXPECT_TRUE(eventually([&] { return victim_usage_of_honest().streams_inbound == 0; }, 5000ms));
  std::vector<StreamResult> opened = open_pings(c, 2);
  ASSERT_EQ(opened.size(), 2u);
  const std::string refused =
      "agora_refusals_total{limit=\"streams_inbound_max\",protocol=\"/ipfs/ping/1.0.0\","
      "scope=\"peer\"}";
  EXPECT_TRUE(eventually([&] { return metric(*victim_, refused) >= 1; }, 5000ms));
  release(opened);
}

}  // namespace
}  // namespace agora
