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
  for (int i = 1; i <= 10; ++i) r.record(make(EventType::stream_reset, i));
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
  for (int i = 1; i <= 10; ++i) r.record(make(EventType::limit_hit, i, std::to_string(i)));
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
  r.record(make(EventType::limit_hit, 1));
  r.record(make(EventType::limit_hit, 2));
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
      for (int i = 0; i < kPerThread; ++i) r.record(make(EventType::stream_reset, 1));
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
  auto j = to_json(e);
  EXPECT_EQ(j["type"], "connection_closed");
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
  auto ok = event_from_json(json::parse(R"({"seq":1,"wall_ns":5,"type":"limit_hit"})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->direction, Direction::none);
  EXPECT_EQ(ok->peer, "");
}

}  // namespace
}  // namespace agora::observe
