#include "observe/events.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace agora::observe {
namespace {

Event make(EventType type, int64_t wall_ns, std::string detail = {}) {
  Event e;
  e.type = type;
  e.wall_ns = wall_ns;
  e.detail = std::move(detail);
  return e;
}

TEST(EventRecorder, AssignsConsecutiveSeqFromOne) {
  EventRecorder r(8);
  EXPECT_EQ(r.last_seq(), 0u);
  EXPECT_TRUE(r.since(0, 100).empty());
  EXPECT_EQ(r.record(make(EventType::listen_started, 10)), 1u);
  EXPECT_EQ(r.record(make(EventType::dial_failed, 20)), 2u);
  auto all = r.since(0, 100);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].seq, 1u);
  EXPECT_EQ(all[0].type, EventType::listen_started);
  EXPECT_EQ(all[0].wall_ns, 10);
  EXPECT_EQ(all[1].seq, 2u);
  EXPECT_EQ(r.dropped(), 0u);
}

TEST(EventRecorder, SinceIsExclusiveAndHonoursMax) {
  EventRecorder r(16);
  for (int i = 1; i <= 10; ++i) r.record(make(EventType::connection_closed, i));
  auto a = r.since(3, 4);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a.front().seq, 4u);
  EXPECT_EQ(a.back().seq, 7u);
  EXPECT_TRUE(r.since(10, 5).empty());
  EXPECT_TRUE(r.since(1000, 5).empty());
  EXPECT_TRUE(r.since(UINT64_MAX, 5).empty());
  EXPECT_TRUE(r.since(0, 0).empty());
}

TEST(EventRecorder, OverflowOverwritesOldestAndCountsDrops) {
  EventRecorder r(4);
  for (int i = 1; i <= 10; ++i) r.record(make(EventType::dial_failed, i, std::to_string(i)));
  EXPECT_EQ(r.size(), 4u);
  EXPECT_EQ(r.dropped(), 6u);
  EXPECT_EQ(r.last_seq(), 10u);
  auto all = r.since(0, 100);
  ASSERT_EQ(all.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(all[i].seq, 7 + i);
    EXPECT_EQ(all[i].detail, std::to_string(7 + i));
  }
  // A reader that last saw seq 2 gets a gap (next is 7): it can tell it missed 3..6.
  EXPECT_EQ(r.since(2, 1).at(0).seq, 7u);
  EXPECT_EQ(r.since(8, 100).size(), 2u);
}

TEST(EventRecorder, ZeroCapacityKeepsOne) {
  EventRecorder r(0);
  EXPECT_EQ(r.capacity(), 1u);
  r.record(make(EventType::dial_failed, 1));
  r.record(make(EventType::dial_failed, 2));
  EXPECT_EQ(r.since(0, 9).size(), 1u);
  EXPECT_EQ(r.dropped(), 1u);
}

TEST(EventRecorder, StampsWallClockWhenNotGiven) {
  EventRecorder r;
  EXPECT_EQ(r.capacity(), 4096u);
  r.record(make(EventType::listen_started, 0));
  EXPECT_GT(r.since(0, 1).at(0).wall_ns, 1'600'000'000'000'000'000);
}

TEST(EventRecorder, ConcurrentRecordsKeepSeqUniqueAndDropCountExact) {
  EventRecorder r(100);
  constexpr int kThreads = 4, kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r] {
      for (int i = 0; i < kPerThread; ++i) r.record(make(EventType::connection_opened, 1));
    });
  }
  // A concurrent reader always sees consecutive seqs in one snapshot.
  for (int i = 0; i < 200; ++i) {
    auto got = r.since(0, 1000);
    for (size_t k = 1; k < got.size(); ++k) ASSERT_EQ(got[k].seq, got[k - 1].seq + 1);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.last_seq(), uint64_t(kThreads * kPerThread));
  EXPECT_EQ(r.dropped(), uint64_t(kThreads * kPerThread - 100));
  auto got = r.since(0, 1000);
  ASSERT_EQ(got.size(), 100u);
  EXPECT_EQ(got.back().seq, uint64_t(kThreads * kPerThread));
}

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSecond;  // an arbitrary Unix time

Event refusal(EventType type, std::string reason, int64_t wall_ns, std::string peer = {}) {
  Event e = make(type, wall_ns, "detail of " + peer);
  e.reason = std::move(reason);
  e.peer = std::move(peer);
  return e;
}

// Sum of `count` over the events of one type held in the ring: what the events say happened.
uint64_t counted(const std::vector<Event>& events, EventType type) {
  uint64_t n = 0;
  for (const Event& e : events)
    if (e.type == type) n += e.count;
  return n;
}

TEST(EventRecorder, ReadNewestShowsTheNewestAndSaysWhatItMissed) {
  EventRecorder r(4);
  for (int i = 1; i <= 10; ++i) r.record(make(EventType::dial_failed, i, std::to_string(i)));
  auto newest = r.read(std::nullopt, 2, 100);
  ASSERT_EQ(newest.events.size(), 2u);
  EXPECT_EQ(newest.events[0].seq, 9u);  // oldest first, but the newest two
  EXPECT_EQ(newest.events[1].seq, 10u);
  EXPECT_EQ(newest.missed, 6u);     // 1..6 were overwritten
  EXPECT_EQ(newest.not_shown, 2u);  // 7 and 8 are held but beyond the limit
  EXPECT_EQ(newest.dropped, 6u);
  EXPECT_EQ(newest.last_seq, 10u);
  EXPECT_EQ(newest.capacity, 4u);

  auto after = r.read(2, 2, 100);
  ASSERT_EQ(after.events.size(), 2u);
  EXPECT_EQ(after.events[0].seq, 7u);
  EXPECT_EQ(after.events[1].seq, 8u);
  EXPECT_EQ(after.missed, 4u);  // 3..6
  EXPECT_EQ(after.not_shown, 2u);

  auto caught_up = r.read(8, 100, 100);
  EXPECT_EQ(caught_up.events.size(), 2u);
  EXPECT_EQ(caught_up.missed, 0u);
  EXPECT_EQ(caught_up.not_shown, 0u);
  EXPECT_TRUE(r.read(10, 100, 100).events.empty());
  EXPECT_TRUE(r.read(UINT64_MAX, 100, 100).events.empty());
  EXPECT_TRUE(EventRecorder(4).read(std::nullopt, 5, 100).events.empty());

  auto j = to_json(newest);
  EXPECT_EQ(j["missed"], 6);
  EXPECT_EQ(j["not_shown"], 2);
  EXPECT_EQ(j["dropped"], 6);
  EXPECT_EQ(j["capacity"], 4);
  EXPECT_EQ(j["last_seq"], 10);
  ASSERT_EQ(j["events"].size(), 2u);
  EXPECT_EQ(j["events"][1]["seq"], 10);
}

TEST(EventRecorder, FloodOfRefusalsLeavesTheRealEventsVisible) {
  EventRecorder r(EventRecorderConfig{.capacity = 64});
  r.record(make(EventType::peer_identified, kT0, "the honest peer"));
  // 100,000 failed handshakes, 10 us apart: one second of flood.
  constexpr int kFlood = 100'000;
  for (int64_t i = 0; i < kFlood; ++i)
    r.record(refusal(EventType::handshake_failed, "protocol", kT0 + 1 + i * 10'000, "attacker"));
  EXPECT_EQ(r.since(0, 100).size(), 2u);  // the summary waits for its window to end
  EXPECT_EQ(r.summary_keys(), 1u);
  // The next event (or a flush, or a read) after the window records the summary first.
  r.record(make(EventType::connection_opened, kT0 + kSecond + kSecond / 2, "after the flood"));
  auto all = r.since(0, 100);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(r.dropped(), 0u);
  EXPECT_EQ(all[0].detail, "the honest peer");
  EXPECT_EQ(all[1].type, EventType::handshake_failed);  // the first of the flood, as it came
  EXPECT_EQ(all[1].count, 1u);
  EXPECT_EQ(all[2].type, EventType::handshake_failed);  // then one summary for the rest
  EXPECT_EQ(all[2].reason, "protocol");
  EXPECT_EQ(all[2].peer, "attacker");
  EXPECT_EQ(all[2].count, uint64_t(kFlood - 1));
  EXPECT_NE(all[2].detail.find("99999 more like this"), std::string::npos) << all[2].detail;
  EXPECT_EQ(all[3].detail, "after the flood");
  EXPECT_EQ(counted(all, EventType::handshake_failed), uint64_t(kFlood));
  // A quiet window later the key is forgotten: the next refusal is shown as is again.
  r.flush(kT0 + 3 * kSecond);
  EXPECT_EQ(r.summary_keys(), 0u);
  EXPECT_NE(r.record(refusal(EventType::handshake_failed, "protocol", kT0 + 4 * kSecond)), 0u);
}

// Peers that complete real handshakes make connection events no summary holds back; each
// subsystem has its own ring, so that churn overwrites only connection events: a quarantined
// block and a discovered peer from before it stay readable, and the reads say what is gone.
TEST(EventRecorder, ConnectionChurnLeavesOtherSubsystemsEventsInPlace) {
  EventRecorder r(EventRecorderConfig{.capacity = 64});
  r.record(make(EventType::peer_discovered, kT0, "mdns"));
  r.record(make(EventType::block_quarantined, kT0 + 1, "the rotten block"));
  constexpr int kChurn = 10'000;
  for (int64_t i = 0; i < kChurn; ++i)
    r.record(
        make(i % 2 ? EventType::connection_closed : EventType::connection_opened, kT0 + 2 + i));
  EXPECT_EQ(r.dropped(), uint64_t(kChurn - 64));
  EXPECT_EQ(r.size(), 66u);
  EventPage page = r.read(uint64_t(0), 1000, kT0 + kChurn + 2);
  ASSERT_EQ(page.events.size(), 66u);
  EXPECT_EQ(page.events[0].type, EventType::peer_discovered);
  EXPECT_EQ(page.events[1].type, EventType::block_quarantined);
  EXPECT_EQ(page.events[1].detail, "the rotten block");
  EXPECT_EQ(page.events[2].seq, uint64_t(kChurn + 2 - 63));  // the newest 64 of the churn
  EXPECT_EQ(page.missed, uint64_t(kChurn - 64));
  for (size_t i = 1; i < page.events.size(); ++i)
    EXPECT_LT(page.events[i - 1].seq, page.events[i].seq);  // merged in seq order
  EventPage newest = r.read(std::nullopt, 3, kT0 + kChurn + 2);
  ASSERT_EQ(newest.events.size(), 3u);
  EXPECT_EQ(newest.events.back().seq, uint64_t(kChurn + 2));
  EXPECT_EQ(newest.not_shown, 63u);
  EXPECT_EQ(subsystem_of(EventType::block_ref_broken), Subsystem::content);
  EXPECT_EQ(subsystem_of(EventType::trace_export_failed), Subsystem::content);
  EXPECT_EQ(subsystem_of(EventType::limit_hit), Subsystem::defences);
  EXPECT_STREQ(subsystem_name(Subsystem::discovery), "discovery");
}

// A read after a seq takes the oldest events after it, across the rings, in seq order.
TEST(EventRecorder, ReadsAfterASeqInterleaveTheRings) {
  EventRecorder r(EventRecorderConfig{.capacity = 8});
  const EventType kinds[] = {EventType::connection_opened, EventType::peer_discovered,
                             EventType::block_quarantined, EventType::peer_identified};
  for (int64_t i = 0; i < 12; ++i) r.record(make(kinds[i % 4], kT0 + i, std::to_string(i)));
  EventPage page = r.read(uint64_t(5), 4, kT0 + 20);
  ASSERT_EQ(page.events.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(page.events[i].seq, 6 + i);
  EXPECT_EQ(page.events[0].type, EventType::peer_discovered);  // seq 6: i = 5, kinds[1]
  EXPECT_EQ(page.not_shown, 3u);
  EXPECT_EQ(page.missed, 0u);
}

TEST(EventRecorder, SteadyFloodCostsOneSummaryPerWindow) {
  EventRecorder r(EventRecorderConfig{.capacity = 64});
  constexpr int kFlood = 10'000;  // one per ms for 10 s
  for (int64_t i = 0; i < kFlood; ++i)
    r.record(refusal(EventType::limit_hit, "connections_max", kT0 + i * 1'000'000));
  r.flush(kT0 + 20 * kSecond);
  auto all = r.since(0, 100);
  EXPECT_EQ(counted(all, EventType::limit_hit), uint64_t(kFlood));
  // The first refusal, then one summary per second of flood.
  EXPECT_EQ(all.size(), 11u);
  EXPECT_EQ(all.front().count, 1u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i].count, 900u) << i;
}

TEST(EventRecorder, OnlyRefusalsAreSummarizedAndByTypeAndReason) {
  EventRecorder r(EventRecorderConfig{.capacity = 1000});
  for (int i = 0; i < 100; ++i) r.record(make(EventType::connection_opened, kT0 + i));
  for (int i = 0; i < 100; ++i) r.record(make(EventType::connection_closed, kT0 + i));
  EXPECT_EQ(r.size(), 200u);  // honest peers' connections are each recorded
  for (EventType t : kAllEventTypes) {
    bool refusal_type = t == EventType::limit_hit || t == EventType::handshake_failed ||
                        t == EventType::peer_misbehaved || t == EventType::stream_reset;
    EXPECT_EQ(is_summarized(t), refusal_type) << event_type_name(t);
  }
  for (int i = 0; i < 10; ++i) {
    r.record(refusal(EventType::limit_hit, "connections_max", kT0 + 200 + i));
    r.record(refusal(EventType::limit_hit, "pending_dials_max", kT0 + 200 + i));
    r.record(refusal(EventType::handshake_failed, "connections_max", kT0 + 200 + i));
  }
  EXPECT_EQ(r.size(), 203u);  // the first of each of the three keys
  EXPECT_EQ(r.summary_keys(), 3u);
  r.flush(kT0 + 2 * kSecond);
  auto all = r.since(0, 1000);
  EXPECT_EQ(all.size(), 206u);
  EXPECT_EQ(counted(all, EventType::limit_hit), 20u);
  EXPECT_EQ(counted(all, EventType::handshake_failed), 10u);
}

TEST(EventRecorder, SummaryKeysAreBounded) {
  EventRecorder r(EventRecorderConfig{.capacity = 1000, .summary_keys_max = 4});
  for (int round = 0; round < 10; ++round) {
    for (int k = 0; k < 100; ++k)
      r.record(refusal(EventType::peer_misbehaved, "kind" + std::to_string(k), kT0 + round));
    EXPECT_LE(r.summary_keys(), 5u);  // 4 keys and the shared overflow slot
  }
  r.flush(kT0 + 2 * kSecond);
  auto all = r.since(0, 1000);
  EXPECT_EQ(counted(all, EventType::peer_misbehaved), 1000u);
  EXPECT_EQ(all.size(), 10u);  // 5 first-of-window events and 5 summaries
  EXPECT_EQ(all.back().reason, "summary_keys_max");
  EXPECT_EQ(all.back().count, 1000u - 4 * 10 - 1);
}

TEST(EventRecorder, ZeroWindowRecordsEveryRefusal) {
  EventRecorder r(EventRecorderConfig{.capacity = 100, .summary_window = {}});
  for (int i = 0; i < 50; ++i) r.record(refusal(EventType::limit_hit, "x", kT0 + i));
  EXPECT_EQ(r.size(), 50u);
  EXPECT_EQ(r.summary_keys(), 0u);
}

TEST(EventRecorder, ClockSteppedBackEndsTheWindow) {
  EventRecorder r(EventRecorderConfig{.capacity = 100});
  r.record(refusal(EventType::limit_hit, "x", kT0));
  EXPECT_EQ(r.record(refusal(EventType::limit_hit, "x", kT0 + 5)), 0u);
  // Microseconds back (threads stamping out of order) stay in the window...
  EXPECT_EQ(r.record(refusal(EventType::limit_hit, "x", kT0 - 1000)), 0u);
  EXPECT_EQ(r.size(), 1u);
  // ...a step back of more than the window ends it, so counts are not held for long.
  r.record(refusal(EventType::limit_hit, "x", kT0 - 10 * kSecond));
  auto all = r.since(0, 100);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].count, 2u);
}

TEST(Events, TypeNamesRoundTrip) {
  std::set<std::string> names;
  for (EventType t : kAllEventTypes) {
    names.insert(event_type_name(t));
    EXPECT_EQ(parse_event_type(event_type_name(t)), t);
  }
  EXPECT_EQ(names.size(), std::size(kAllEventTypes));
  EXPECT_EQ(std::string(event_type_name(EventType::protocol_negotiated)), "protocol_negotiated");
  EXPECT_FALSE(parse_event_type("ConnectionOpened"));
}

TEST(Events, JsonRoundTrip) {
  Event e;
  e.seq = 42;
  e.wall_ns = 1'700'000'000'123'456'789;
  e.type = EventType::connection_closed;
  e.peer = "12D3KooWabc";
  e.addr = "/ip4/127.0.0.1/tcp/4001";
  e.direction = Direction::inbound;
  e.protocol = "/yamux/1.0.0";
  e.reason = "idle";
  e.detail = "no streams for \"60\" s";
  e.count = 7;
  auto j = to_json(e);
  EXPECT_EQ(j["type"], "connection_closed");
  EXPECT_EQ(j["count"], 7);
  EXPECT_EQ(j["direction"], "inbound");
  auto back = event_from_json(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, e);
}

TEST(Events, FromJsonRejectsBadInput) {
  using nlohmann::json;
  EXPECT_FALSE(event_from_json(json::array()).ok());
  EXPECT_FALSE(event_from_json(json::parse(R"({"wall_ns":1,"type":"limit_hit"})")).ok());
  EXPECT_FALSE(event_from_json(json::parse(R"({"seq":-1,"wall_ns":1,"type":"limit_hit"})")).ok());
  EXPECT_FALSE(event_from_json(json::parse(R"({"seq":1,"wall_ns":1,"type":"nope"})")).ok());
  EXPECT_FALSE(
      event_from_json(json::parse(R"({"seq":1,"wall_ns":1,"type":"limit_hit","peer":3})")).ok());
  EXPECT_FALSE(
      event_from_json(json::parse(R"({"seq":1,"wall_ns":1,"type":"limit_hit","direction":"up"})"))
          .ok());
  EXPECT_FALSE(
      event_from_json(json::parse(R"({"seq":1,"wall_ns":18446744073709551615,"type":"limit_hit"})"))
          .ok());
  EXPECT_FALSE(
      event_from_json(json::parse(R"({"seq":1,"wall_ns":1,"type":"limit_hit","count":0})")).ok());
  EXPECT_FALSE(
      event_from_json(json::parse(R"({"seq":1,"wall_ns":1,"type":"limit_hit","count":"2"})")).ok());
  auto ok = event_from_json(json::parse(R"({"seq":1,"wall_ns":5,"type":"limit_hit"})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->count, 1u);
  EXPECT_EQ(ok->direction, Direction::none);
  EXPECT_EQ(ok->peer, "");
}

}  // namespace
}  // namespace agora::observe
