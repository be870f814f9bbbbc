// Hostile peers against an in-process node, each attack driven by a client written for it: a perf
// requester that never reads, a yamux ping flood whose answers are never read, silent connections
// and throwaway identities that try to take every inbound slot. Each case checks that the
// victim's memory stays within a stated bound, that an honest peer is served throughout, and that
// the victim recorded what happened (metric and event).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "victim_fixture.h"

namespace agora {
namespace {

using namespace std::chrono_literals;
using test::count_events;
using test::frame;
using test::kAttackWait;
using test::metric;
using test::multistream_line;
using test::rss_kib;
using test::SecuredAttacker;
using test::upgrade_attacker;

bool eventually(const std::function<bool()>& cond,
                std::chrono::milliseconds timeout = kAttackWait) {
  return test::eventually(cond, timeout);
}

// What an attack is allowed to cost the victim. Before the fixes these attacks cost 300 MB and
// more; the bound leaves room for allocator noise and the honest peer's own traffic.
constexpr size_t kRssGrowthMaxKib = 64 * 1024;

class HostilePeersTest : public test::VictimAndHonestPeer {
 protected:
  // Pings `n` times while an attack runs; fails the test on any unanswered ping. Returns the
  // slowest round trip (reported, never asserted: tests do not fail on timing).
  Duration honest_pings_during_attack(int n) {
    Duration slowest{};
    for (int i = 0; i < n; ++i) {
      auto rtt = honest_ping();
      EXPECT_TRUE(rtt.ok()) << "ping " << i << ": " << rtt.error().to_string();
      if (rtt) slowest = std::max(slowest, *rtt);
      std::this_thread::sleep_for(50ms);
    }
    return slowest;
  }
};

// Item 1: a peer opens /perf/1.0.0, asks for 300 MB, raises its yamux window to nearly 4 GiB and
// never reads. The node must not queue the answer; the stalled stream is reset and recorded.
TEST_F(HostilePeersTest, PerfRequesterThatNeverReadsCostsBoundedMemory) {
  store::Config victim;
  victim.perf.stall_timeout_ms = 1500;
  start(victim);
  size_t rss_before = rss_kib();
  auto attacker =
      upgrade_attacker(victim_port_, victim_->peer_id(), {.receive_buffer_bytes = 16384});
  ASSERT_TRUE(attacker.ok()) << attacker.error().to_string();
  Bytes request = frame(yamux::YamuxType::window_update, yamux::yamux_flag::syn, 1,
                        0xffffffffu - yamux::kYamuxSpecWindowBytes);  // window: 2^32-1
  Bytes payload = multistream_line("/multistream/1.0.0");
  append(payload, multistream_line("/perf/1.0.0"));
  uint8_t size[8];
  put_u64_be(size, 300'000'000);
  payload.insert(payload.end(), size, size + 8);
  append(request, frame(yamux::YamuxType::data, 0, 1, uint32_t(payload.size())));
  append(request, payload);
  append(request, frame(yamux::YamuxType::window_update, yamux::yamux_flag::fin, 1, 0));
  ASSERT_TRUE(attacker->send_plain(request));

  size_t rss_max = rss_before;
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      rss_max = std::max(rss_max, rss_kib());
      std::this_thread::sleep_for(20ms);
    }
  });
  Duration slowest = honest_pings_during_attack(20);
  bool reset_recorded = eventually([&] {
    return metric(*victim_, "agora_perf_streams_refused_total{reason=\"stalled\"}") == 1;
  });
  sampling = false;
  sampler.join();
  std::printf("perf never-read attack: victim RSS +%zu KiB at most, slowest honest ping %.2f ms\n",
              rss_max - rss_before, std::chrono::duration<double, std::milli>(slowest).count());
  EXPECT_LT(rss_max - rss_before, kRssGrowthMaxKib);
  EXPECT_TRUE(reset_recorded);
  EXPECT_EQ(count_events(*victim_, observe::EventType::stream_reset, "stalled"), 1u);
  EXPECT_GE(metric(*victim_, "agora_perf_streams_refused_total{reason=\"stalled\"}"), 1);
  EXPECT_TRUE(honest_ping().ok());
  // Once the attacker goes, its connection's waits for the reader are counted.
  attacker->sock = test::RawSocket();
  EXPECT_TRUE(
      eventually([&] { return metric(*victim_, "agora_connection_output_stalls_total") > 0; }));
}

// Asking for more than download_bytes_max is refused at once, and recorded.
TEST_F(HostilePeersTest, PerfRequestOverTheCapIsRefused) {
  store::Config victim;
  victim.perf.download_bytes_max = 1 << 20;
  start(victim);
  auto attacker = upgrade_attacker(victim_port_, victim_->peer_id());
  ASSERT_TRUE(attacker.ok()) << attacker.error().to_string();
  Bytes payload = multistream_line("/multistream/1.0.0");
  append(payload, multistream_line("/perf/1.0.0"));
  uint8_t size[8];
  put_u64_be(size, (1 << 20) + 1);
  payload.insert(payload.end(), size, size + 8);
  Bytes request =
      frame(yamux::YamuxType::data, yamux::yamux_flag::syn, 1, uint32_t(payload.size()));
  append(request, payload);
  ASSERT_TRUE(attacker->send_plain(request));
  auto reset = [](const std::vector<yamux::YamuxHeader>& frames) {
    return std::any_of(frames.begin(), frames.end(), [](const yamux::YamuxHeader& f) {
      return f.stream == 1 && (f.flags & yamux::yamux_flag::rst);
    });
  };
  EXPECT_TRUE(attacker->read_until(reset));
  EXPECT_TRUE(eventually([&] {
    return metric(*victim_, "agora_perf_streams_refused_total{reason=\"too_large\"}") == 1;
  }));
  EXPECT_EQ(count_events(*victim_, observe::EventType::stream_reset, "too_large"), 1u);
}

// A perf requester that trickles its upload (a byte every 200 ms never makes a whole chunk) is
// reset at the stall deadline, and a second perf stream from the same peer is refused: one peer
// cannot hold the perf slots.
TEST_F(HostilePeersTest, PerfTricklerIsResetAndOnePeerGetsOneStream) {
  store::Config victim;
  victim.perf.stall_timeout_ms = 1000;
  start(victim);
  auto attacker = upgrade_attacker(victim_port_, victim_->peer_id());
  ASSERT_TRUE(attacker.ok()) << attacker.error().to_string();
  auto open_perf = [&](yamux::StreamId id) {
    Bytes payload = multistream_line("/multistream/1.0.0");
    append(payload, multistream_line("/perf/1.0.0"));
    uint8_t size[8];
    put_u64_be(size, 1000);
    payload.insert(payload.end(), size, size + 8);
    Bytes request =
        frame(yamux::YamuxType::data, yamux::yamux_flag::syn, id, uint32_t(payload.size()));
    append(request, payload);
    return attacker->send_plain(request);
  };
  ASSERT_TRUE(open_perf(1));
  ASSERT_TRUE(eventually(
      [&] { return metric(*victim_, "agora_streams_opened_total{direction=\"inbound\"}") >= 1; }));
  ASSERT_TRUE(open_perf(3));
  const std::string limit = "agora_perf_streams_refused_total{reason=\"limit\"}";
  const std::string stalled = "agora_perf_streams_refused_total{reason=\"stalled\"}";
  EXPECT_TRUE(eventually([&] { return metric(*victim_, limit) == 1; }));
  Bytes one = frame(yamux::YamuxType::data, 0, 1, 1);
  one.push_back(0);
  for (int i = 0; i < 30 && metric(*victim_, stalled) == 0; ++i) {
    attacker->send_plain(one);
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(metric(*victim_, stalled), 1);
  EXPECT_TRUE(honest_ping().ok());
}

// A peer that floods yamux pings and never reads the ACKs: the node owes at most
// control_frames_owed_max replies, then closes the connection with a protocol error.
TEST_F(HostilePeersTest, PingFloodWhoseAnswersAreNeverReadIsCutOff) {
  start(store::Config{});
  size_t rss_before = rss_kib();
  auto attacker =
      upgrade_attacker(victim_port_, victim_->peer_id(), {.receive_buffer_bytes = 4096});
  ASSERT_TRUE(attacker.ok()) << attacker.error().to_string();
  std::atomic<bool> flooding{true};
  std::thread flood([&] {
    Bytes batch;
    for (uint32_t i = 0; i < 4000; ++i)
      append(batch, frame(yamux::YamuxType::ping, yamux::yamux_flag::syn, 0, i));
    for (int round = 0; round < 2000 && flooding; ++round)
      if (!attacker->send_plain(batch)) break;  // the node closed the connection
  });
  Duration slowest = honest_pings_during_attack(10);
  const std::string limit = "agora_limit_hits_total{limit=\"control_frames_owed_max\"}";
  bool cut_off = eventually([&] { return metric(*victim_, limit) == 1; });
  flooding = false;
  flood.join();
  size_t rss_after = rss_kib();
  std::printf("ping flood never read: victim RSS +%zd KiB, slowest honest ping %.2f ms\n",
              ssize_t(rss_after) - ssize_t(rss_before),
              std::chrono::duration<double, std::milli>(slowest).count());
  EXPECT_TRUE(cut_off);
  EXPECT_LT(rss_after - std::min(rss_after, rss_before), kRssGrowthMaxKib);
  EXPECT_EQ(count_events(*victim_, observe::EventType::limit_hit, "control_frames_owed_max"), 1u);
  EXPECT_GE(metric(*victim_, "agora_connections_closed_total{reason=\"protocol\"}"), 1);
  EXPECT_TRUE(honest_ping().ok());
}

// Item 2: 64 silent connections from one host used to take every pending-handshake slot. Now
// one host gets its share (pending_inbound_handshakes_per_ip_max) and everyone else gets in.
TEST_F(HostilePeersTest, SilentConnectionsFromOneHostDoNotLockOthersOut) {
  start(store::Config{});
  size_t rss_before = rss_kib();
  std::vector<test::RawSocket> silent;
  for (int i = 0; i < 64; ++i) silent.push_back(test::silent_connection(victim_port_, "127.0.2.1"));
  const std::string per_ip =
      "agora_limit_hits_total{limit=\"pending_inbound_handshakes_per_ip_max\"}";
  ASSERT_TRUE(eventually([&] { return metric(*victim_, per_ip) >= 64 - 8; }));
  Duration slowest = honest_pings_during_attack(5);  // while the 8 admitted ones are still silent
  std::printf("64 silent connections: slowest honest ping %.2f ms, victim RSS +%zd KiB\n",
              std::chrono::duration<double, std::milli>(slowest).count(),
              ssize_t(rss_kib()) - ssize_t(rss_before));
  EXPECT_EQ(metric(*victim_, per_ip), 64 - 8);
  EXPECT_GE(count_events(*victim_, observe::EventType::limit_hit,
                         "pending_inbound_handshakes_per_ip_max"),
            1u);
  // The silent ones that got a slot are cut at the first-bytes deadline (3 s), not 10 s.
  for (auto& s : silent) EXPECT_TRUE(s.wait_closed(kAttackWait));
  EXPECT_TRUE(eventually(
      [&] { return metric(*victim_, "agora_handshake_failures_total{reason=\"timeout\"}") == 8; }));
}

// 40 throwaway identities from one host: the host gets inbound_connections_per_ip_max of them.
TEST_F(HostilePeersTest, ThrowawayIdentitiesFromOneHostGetOneShare) {
  store::Config victim;
  victim.limits.inbound_connections_per_ip_max = 10;
  start(victim);
  std::vector<SecuredAttacker> held;
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    auto a = upgrade_attacker(victim_port_, victim_->peer_id(), {.source_ip = "127.0.5.1"});
    if (a) {
      held.push_back(std::move(*a));
    } else {
      ++refused;
    }
  }
  EXPECT_TRUE(eventually([&] { return metric(*victim_, "agora_connections_open") == 10; }));
  EXPECT_EQ(refused, 30);
  EXPECT_EQ(metric(*victim_, "agora_limit_hits_total{limit=\"inbound_connections_per_ip_max\"}"),
            30);
  EXPECT_TRUE(honest_ping().ok());
}

// Throwaway identities from one network fill every inbound slot (per-source limits raised to
// allow it). An honest newcomer from another network is admitted by trimming the youngest
// connection of the over-represented network; a newcomer from that network is refused.
TEST_F(HostilePeersTest, FullInboundShareTrimsTheFloodingNetworkForNewcomers) {
  store::Config victim;
  victim.limits.connections_max = 20;
  victim.limits.outbound_reserve = 0;
  victim.limits.inbound_connections_per_ip_max = 20;
  victim.limits.inbound_connections_per_group_max = 20;
  victim.limits.pending_inbound_handshakes_per_group_max = 20;
  start(victim);
  std::vector<SecuredAttacker> held;
  for (int i = 1; i <= 20; ++i) {
    auto a = upgrade_attacker(victim_port_, victim_->peer_id(),
                              {.source_ip = "127.0.3." + std::to_string(i)});
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    held.push_back(std::move(*a));
  }
  ASSERT_TRUE(eventually([&] { return metric(*victim_, "agora_connections_open") == 20; }));
  auto rtt = honest_ping();
  EXPECT_TRUE(rtt.ok()) << rtt.error().to_string();
  EXPECT_EQ(metric(*victim_, "agora_admission_trims_total"), 1);
  EXPECT_EQ(count_events(*victim_, observe::EventType::limit_hit, "admission_trim"), 1u);
  // The trimmed one is the youngest of the flooding network.
  EXPECT_TRUE(held.back().sock.wait_closed(kAttackWait));
  // Another identity from the flooding network cannot take the honest peer's place.
  auto again = upgrade_attacker(victim_port_, victim_->peer_id(), {.source_ip = "127.0.3.21"});
  if (again.ok()) {
    EXPECT_TRUE(again->sock.wait_closed(kAttackWait));
  }
  EXPECT_TRUE(eventually([&] {
    return metric(*victim_, "agora_limit_hits_total{limit=\"inbound_connections_max\"}") >= 1;
  }));
  EXPECT_TRUE(honest_ping().ok());
}

}  // namespace
}  // namespace agora
