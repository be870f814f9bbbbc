// rt::BehaviourHost over real sockets: what the memory network cannot show (yamux windows,
// streams read and written at once, peers that stop reading).
#include <gtest/gtest.h>

#include "node_test_util.h"
#include "runtime/sim/scripted_behaviour.h"
#include "victim_fixture.h"

namespace agora::test {
namespace {

using namespace std::chrono_literals;

class BehaviourHostTest : public VictimAndHonestPeer {
 protected:
  // The victim's streams on its connection from the honest peer.
  std::vector<std::shared_ptr<rt::Stream>> victim_streams() {
    return on_loop(io_, [&] {
      auto conn = victim_->swarm().connection_to(honest_->peer_id());
      return conn ? conn->open_streams() : std::vector<std::shared_ptr<rt::Stream>>{};
    });
  }
};

// A peer that sends pings and never reads the echoes: once our send window is spent, the echo
// stream has a reader waiting for more pings and a writer waiting for window. Each must wait on
// its own: with one waiter for both they cancelled each other's wait and spun the loop at full
// CPU for as long as the peer kept the stream open.
TEST_F(BehaviourHostTest, AnEchoToAPeerThatStopsReadingWaitsWithoutSpinning) {
  start({}, {});
  auto held = await_on_loop<Result<std::shared_ptr<rt::Stream>>>(
      io_,
      [this]() -> rt::awaitable<Result<std::shared_ptr<rt::Stream>>> {
        auto conn = co_await honest_->connect(victim_addr_);
        if (!conn) co_return conn.error();
        std::vector<std::string> protocols{kPingProtocol};
        auto s = co_await honest_->swarm().open_stream(*conn, protocols);
        if (!s) co_return s.error();
        // 256 KiB of echoes fill the window; ten more wait in the victim's send queue.
        const Bytes pings(kPingPayloadBytes * (8192 + 10), 7);
        if (Status st = co_await (*s)->write_all(pings); !st) co_return st.error();
        co_return *s;
      },
      10s);
  ASSERT_TRUE(held && held->ok()) << (held ? held->error().to_string() : "timeout");
  std::shared_ptr<rt::Stream> echo;
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& s : victim_streams())
          if (s->protocol() == kPingProtocol) echo = s;
        return echo != nullptr;
      },
      5000ms));
  // Let the victim read every ping and block on the window.
  std::this_thread::sleep_for(300ms);
  const uint64_t before = on_loop(io_, [&] { return echo->waits(); });
  std::this_thread::sleep_for(300ms);
  const uint64_t after = on_loop(io_, [&] { return echo->waits(); });
  EXPECT_LT(after - before, 10u) << "the stalled stream kept waking itself";
  EXPECT_TRUE(honest_ping().ok());
  on_loop(io_, [&] {
    (*held)->reset();
    echo.reset();
    return 0;
  });
}

// A perf download that takes longer than stall_timeout but keeps moving is never cut: the close
// linger that starts when the client closes its upload restarts with every byte it reads.
TEST_F(BehaviourHostTest, APerfDownloadLongerThanTheStallTimeoutCompletes) {
  store::Config quick;
  quick.perf.stall_timeout_ms = 200;  // also the close linger, on both sides
  start(quick, quick);
  const uint64_t download = uint64_t(2) << 30;  // well over 200 ms on any machine
  auto run = await_on_loop<Result<PerfResult>>(
      io_,
      [&]() -> rt::awaitable<Result<PerfResult>> {
        auto conn = co_await honest_->connect(victim_addr_);
        if (!conn) co_return conn.error();
        co_return co_await honest_->perf().run(*conn, 0, download);
      },
      120s);
  ASSERT_TRUE(run.has_value()) << "timeout";
  ASSERT_TRUE(run->ok()) << run->error().to_string();
  EXPECT_EQ((*run)->download_bytes, download);
  EXPECT_GT((*run)->download_time, 200ms);
}

// A protocol's idle_timeout is driven by the runtime: a stream that moves nothing for that long
// is reset, counted and recorded.
TEST_F(BehaviourHostTest, AStreamIdleForItsProtocolsTimeoutIsReset) {
  start({}, {});
  host::ProtocolSpec spec;
  spec.name = "/test/idle/1";
  spec.config.idle_timeout = 300ms;
  sim::ScriptedBehaviour server({spec}), client({spec});
  on_loop(io_, [&] {
    victim_->behaviours().add(server);
    honest_->behaviours().add(client);
    return 0;
  });
  auto conn = await_on_loop<Result<std::shared_ptr<rt::Connection>>>(
      io_,
      [this]() -> rt::awaitable<Result<std::shared_ptr<rt::Connection>>> {
        co_return co_await honest_->connect(victim_addr_);
      },
      10s);
  ASSERT_TRUE(conn && conn->ok());
  on_loop(io_, [&] {
    client.push(host::OpenStream{.peer = victim_->peer_id(), .protocol = spec.name, .tag = 1});
    honest_->behaviours().wake(client);
    return 0;
  });
  EXPECT_TRUE(
      eventually([&] { return on_loop(io_, [&] { return server.closed.size(); }) == 1; }, 3000ms));
  EXPECT_EQ(on_loop(io_, [&] { return client.closed.size(); }), 1u);
  const std::string idle = "agora_streams_idle_reset_total{protocol=\"/test/idle/1\"}";
  EXPECT_GE(metric(*victim_, idle) + metric(*honest_, idle), 1);
  on_loop(io_, [&] {
    victim_->behaviours().remove(server);
    honest_->behaviours().remove(client);
    return 0;
  });
}

// Output queued for a stream is charged to the resource manager: a behaviour that queues more than
// its (peer, protocol) scope allows has the stream reset, counted and recorded, and what the
// stream held is released.
TEST_F(BehaviourHostTest, QueuedOutputPastThePeersMemoryLimitResetsTheStream) {
  start({}, {});
  host::ProtocolSpec spec;
  spec.name = "/test/bulk/1";
  spec.framing.message_bytes_max = 512 * 1024;
  spec.send_queue_bytes_max = 64u << 20;  // the queue bound alone would take it all
  spec.config.limits.per_peer.memory_bytes_max = 1u << 20;
  sim::ScriptedBehaviour server({spec}), client({spec});
  on_loop(io_, [&] {
    victim_->behaviours().add(server);
    honest_->behaviours().add(client);
    return 0;
  });
  auto conn = await_on_loop<Result<std::shared_ptr<rt::Connection>>>(
      io_,
      [this]() -> rt::awaitable<Result<std::shared_ptr<rt::Connection>>> {
        co_return co_await honest_->connect(victim_addr_);
      },
      10s);
  ASSERT_TRUE(conn && conn->ok());
  on_loop(io_, [&] {
    client.push(host::OpenStream{.peer = victim_->peer_id(), .protocol = spec.name, .tag = 1});
    honest_->behaviours().wake(client);
    return 0;
  });
  ASSERT_TRUE(
      eventually([&] { return on_loop(io_, [&] { return server.opened.size(); }) == 1; }, 3000ms));
  on_loop(io_, [&] {
    for (int i = 0; i < 8; ++i)
      server.push(host::SendMessage{server.opened[0].ref, Bytes(256 * 1024, uint8_t(i))});
    victim_->behaviours().wake(server);
    return 0;
  });
  ASSERT_TRUE(
      eventually([&] { return on_loop(io_, [&] { return server.closed.size(); }) == 1; }, 3000ms));
  const Error why = on_loop(io_, [&] { return server.closed[0].second; });
  EXPECT_EQ(why.code, Errc::limit);
  EXPECT_NE(why.message.find("resource manager"), std::string::npos) << why.to_string();
  EXPECT_EQ(metric(*victim_,
                   "agora_refusals_total{limit=\"memory_bytes_max\",protocol=\"/test/bulk/1\","
                   "scope=\"peer_protocol\"}"),
            1);
  EXPECT_EQ(metric(*victim_, "agora_limit_hits_total{limit=\"memory_bytes_max\"}"), 1);
  EXPECT_TRUE(eventually(
      [&] {
        return on_loop(io_, [&] { return victim_->swarm().resources().system().memory_bytes; }) ==
               0;
      },
      3000ms));
  on_loop(io_, [&] {
    victim_->behaviours().remove(server);
    honest_->behaviours().remove(client);
    return 0;
  });
}

// A message being assembled is charged while its bytes are buffered, and given back once it is
// handed over; a stream's read buffer is charged while the stream lives.
TEST_F(BehaviourHostTest, AMessageBeingAssembledIsChargedUntilItIsWhole) {
  start({}, {});
  host::ProtocolSpec spec;
  spec.name = "/test/bulk/1";
  spec.framing.message_bytes_max = 512 * 1024;
  sim::ScriptedBehaviour server({spec});
  on_loop(io_, [&] {
    victim_->behaviours().add(server);
    return 0;
  });
  const size_t read_buffer = 64 * 1024;  // BehaviourHostConfig::read_chunk_bytes
  Bytes message(200 * 1024, 9);
  Bytes framed = host::frame_message(spec.framing, message).value();
  auto stream = await_on_loop<Result<std::shared_ptr<rt::Stream>>>(
      io_,
      [&]() -> rt::awaitable<Result<std::shared_ptr<rt::Stream>>> {
        auto conn = co_await honest_->connect(victim_addr_);
        if (!conn) co_return conn.error();
        std::vector<std::string> protocols{spec.name};
        auto s = co_await honest_->swarm().open_stream(*conn, protocols);
        if (!s) co_return s.error();
        BytesView half(framed.data(), 100 * 1024);
        if (Status st = co_await (*s)->write_all(half); !st) co_return st.error();
        co_return *s;
      },
      10s);
  ASSERT_TRUE(stream && stream->ok()) << (stream ? stream->error().to_string() : "timeout");
  auto held = [&] {
    return on_loop(io_, [&] {
      return victim_->swarm().resources().peer_protocol(honest_->peer_id(), spec.name).memory_bytes;
    });
  };
  EXPECT_TRUE(eventually([&] { return held() == read_buffer + 100 * 1024; }, 3000ms)) << held();
  await_on_loop<Status>(
      io_,
      [&]() -> rt::awaitable<Status> {
        co_return co_await (**stream)->write_all(
            BytesView(framed.data() + 100 * 1024, framed.size() - 100 * 1024));
      },
      10s);
  ASSERT_TRUE(
      eventually([&] { return on_loop(io_, [&] { return server.messages.size(); }) == 1; }, 3000ms));
  EXPECT_EQ(held(), read_buffer);
  on_loop(io_, [&] {
    (*stream)->reset();
    return 0;
  });
  EXPECT_TRUE(eventually([&] { return held() == 0; }, 3000ms)) << held();
  on_loop(io_, [&] {
    victim_->behaviours().remove(server);
    return 0;
  });
}

}  // namespace
}  // namespace agora::test
