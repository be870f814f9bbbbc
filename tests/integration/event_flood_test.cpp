// An attacker floods a running node with refused connections (garbage where the handshake should
// be) while an honest peer keeps using it. The flight recorder must keep the honest peer's events
// visible (refusals become rate-limited summaries with counts), the metrics must count every
// refusal, the node's memory for events must stay within its limits, and the honest peer must be
// served throughout.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <random>
#include <thread>

#include "victim_fixture.h"

namespace agora {
namespace {

using namespace std::chrono_literals;
using test::metric_sum;
using test::RawSocket;

constexpr auto kWait = 10s;  // generous: the machine may be busy; never a timing assertion
constexpr size_t kRing = 64;
constexpr int kAttackers = 4, kConnectionsEach = 2500;  // 10,000 refusals, 156 rings' worth

// The ring as a reader sees it once every summary window has ended (a read at the end of time).
std::vector<observe::Event> final_events(node::Node& node) {
  return node.events().read(0, kRing, INT64_MAX).events;
}

uint64_t counted(const std::vector<observe::Event>& events, observe::EventType type) {
  uint64_t n = 0;
  for (const auto& e : events)
    if (e.type == type) n += e.count;
  return n;
}

// Connects, sends a length prefix far over the multistream limit and random bytes, waits for the
// node to hang up. Returns how many connections the node closed.
int attack(uint16_t port, int connections, unsigned seed) {
  std::mt19937 rng(seed);
  Bytes garbage(512);
  int closed = 0;
  for (int i = 0; i < connections; ++i) {
    for (auto& b : garbage) b = uint8_t(rng());
    garbage[0] = 0xff;
    garbage[1] = 0xff;
    RawSocket s = RawSocket::connect_loopback(port);
    if (!s.ok()) continue;
    s.send_all(garbage);
    closed += s.wait_closed(kWait);
  }
  return closed;
}

class EventFloodTest : public test::VictimAndHonestPeer {
 protected:
  void SetUp() override {
    store::Config victim;
    victim.event_buffer_max = kRing;
    start(victim);
  }
};

TEST_F(EventFloodTest, RefusalFloodLeavesRealEventsVisibleAndCountsEveryRefusal) {
  using observe::EventType;
  ASSERT_TRUE(honest_ping().ok());
  const std::string honest_peer = honest_->peer_id().to_string();
  auto is_honest_open = [&](const observe::Event& e) {
    return e.type == EventType::connection_opened && e.peer == honest_peer;
  };
  uint64_t honest_seq = 0;
  ASSERT_TRUE(test::eventually(
      [&] {
        for (const auto& e : victim_->events().since(0, kRing))
          if (is_honest_open(e)) honest_seq = e.seq;
        return honest_seq != 0;
      },
      kWait));

  std::vector<std::future<int>> attackers;
  for (int a = 0; a < kAttackers; ++a)
    attackers.push_back(
        std::async(std::launch::async, attack, victim_port_, kConnectionsEach, a + 1));
  // The honest peer is served while the flood runs, and the recorder stays within its bounds.
  int pings = 0;
  while (std::any_of(attackers.begin(), attackers.end(),
                     [](auto& f) { return f.wait_for(0s) != std::future_status::ready; })) {
    auto st = honest_ping();
    ASSERT_TRUE(st.ok()) << "ping " << pings << " during the flood: " << st.error().to_string();
    ++pings;
    EXPECT_LE(victim_->events().size(), kRing);
    EXPECT_LE(victim_->events().summary_keys(),
              observe::EventRecorderConfig{}.summary_keys_max + 1);
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(pings, 1);
  int closed = 0;
  for (auto& f : attackers) closed += f.get();
  EXPECT_EQ(closed, kAttackers * kConnectionsEach);

  // The metrics count every refusal: a failed handshake, or no handshake slot.
  const double total = kAttackers * kConnectionsEach;
  const std::string no_slot = "agora_limit_hits_total{limit=\"pending_inbound_handshakes_max\"}";
  EXPECT_TRUE(test::eventually(
      [&] {
        return metric_sum(*victim_, "agora_handshake_failures_total") +
                   test::metric(*victim_, no_slot) ==
               total;
      },
      kWait));
  // The events say the same through their counts, and the honest peer's connection is still
  // in the ring, 10,000 refusals later.
  auto events = final_events(*victim_);
  EXPECT_LE(events.size(), kRing);
  EXPECT_EQ(double(counted(events, EventType::handshake_failed)),
            metric_sum(*victim_, "agora_handshake_failures_total"));
  EXPECT_EQ(double(counted(events, EventType::limit_hit)), test::metric(*victim_, no_slot));
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), is_honest_open))
      << "the honest peer's connection_opened (#" << honest_seq << ") was pushed out";
  EXPECT_TRUE(std::any_of(events.begin(), events.end(), [](const observe::Event& e) {
    return e.type == EventType::handshake_failed && e.count > 1;
  })) << "no summary of the flood";
  EXPECT_EQ(test::metric(*victim_, "agora_connections_open"), 1);  // the honest one
  auto st = honest_ping();
  EXPECT_TRUE(st.ok()) << st.error().to_string();
}

}  // namespace
}  // namespace agora
