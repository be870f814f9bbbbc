// `agora events` end to end without a daemon: the API's query parsing (api/events_query.h), the
// node's answer (agora::Node::events is observe::to_json of the recorder's page) and the CLI's
// rendering (cli/events_view.h).
#include "app/cli/events_view.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <sstream>

#include "app/api/events_query.h"
#include "observe/events.h"

namespace agora {
namespace {

using observe::Event;
using observe::EventRecorder;
using observe::EventType;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// What GET /api/v0/events answers (agora::Node::events).
nlohmann::json events_answer(EventRecorder& events, const EventsQuery& query, int64_t now_ns) {
  return observe::to_json(events.read(query.since, size_t(query.limit), now_ns));
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A ring of 8 that saw 20 dial failures: #1..#12 were overwritten, #13..#20 are held.
void overflow(EventRecorder& r) {
  for (int i = 1; i <= 20; ++i) {
    Event e;
    e.type = EventType::dial_failed;
    e.wall_ns = kT0 + i;
    r.record(e);
  }
}

std::string render_text(EventRecorder& r, const EventsQuery& q, bool follow = false) {
  auto out = render_events(events_answer(r, q, kT0 + 100), q.since, false, follow);
  EXPECT_TRUE(out.ok()) << out.error().to_string();
  return out.ok() ? out->text : "";
}

TEST(EventsView, NewestByDefaultAfterANoteOnWhatWasDropped) {
  EventRecorder r(8);
  overflow(r);
  auto lines = lines_of(render_text(r, EventsQuery{}));
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[0], "… 12 older events dropped (each subsystem's ring holds 8)");
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(lines[1 + i].rfind("#" + std::to_string(13 + i) + " ", 0), 0u);

  lines = lines_of(render_text(r, EventsQuery{.limit = 3}));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "… 12 older events dropped (each subsystem's ring holds 8)");
  EXPECT_EQ(lines[1], "… 5 older events not shown (raise --limit)");
  EXPECT_EQ(lines[2].rfind("#18 ", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find(" dial_failed"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[4].rfind("#20 ", 0), 0u) << lines[4];
}

TEST(EventsView, SinceShowsTheOldestAfterItAndWhatIsMissing) {
  EventRecorder r(8);
  overflow(r);
  auto lines = lines_of(render_text(r, EventsQuery{.since = 2, .limit = 3}));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "… 10 events after #2 dropped (each subsystem's ring holds 8)");
  EXPECT_EQ(lines[1].rfind("#13 ", 0), 0u) << lines[1];
  EXPECT_EQ(lines[3].rfind("#15 ", 0), 0u) << lines[3];
  EXPECT_EQ(lines[4], "… 5 newer events not shown (raise --limit, or --since 15)");

  // --follow pages on at once instead of suggesting options.
  auto out = render_events(events_answer(r, {.since = 2, .limit = 3}, kT0), 2, false, true);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->more);
  EXPECT_EQ(out->next_since, 15u);
  EXPECT_EQ(lines_of(out->text).size(), 4u);
  out = render_events(events_answer(r, {.since = 15}, kT0), 15, false, true);
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out->more);
  EXPECT_EQ(out->next_since, 20u);
  EXPECT_EQ(out->text.find("…"), std::string::npos) << out->text;
  // Caught up: nothing printed, and the next read asks from the same place.
  out = render_events(events_answer(r, {.since = 20}, kT0), 20, false, true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->text, "");
  EXPECT_EQ(out->next_since, 20u);
}

TEST(EventsView, JsonLinesCarryTheDropsAndTheCounts) {
  EventRecorder r(8);
  overflow(r);
  for (int i = 0; i < 50; ++i) {
    Event e;
    e.type = EventType::limit_hit;
    e.reason = "connections_max";
    e.wall_ns = kT0 + 1000 + i;
    r.record(e);
  }
  auto out = render_events(events_answer(r, {.limit = 2}, kT0 + 10'000'000'000), std::nullopt, true,
                           false);
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  auto lines = lines_of(out->text);
  ASSERT_EQ(lines.size(), 3u);
  auto note = nlohmann::json::parse(lines[0]);
  // The rings held 10 of the 22 events: the newest 8 of the 20 connection events, and both
  // refusals (the first and the summary) in the defences ring.
  EXPECT_EQ(note["missed"], 12);
  EXPECT_EQ(note["not_shown"], 8);
  EXPECT_EQ(note["capacity"], 8);
  auto first = observe::event_from_json(nlohmann::json::parse(lines[1]));
  auto summary = observe::event_from_json(nlohmann::json::parse(lines[2]));
  ASSERT_TRUE(first.ok() && summary.ok());
  EXPECT_EQ(first->count, 1u);
  EXPECT_EQ(summary->count, 49u);  // 50 refusals: the first, then one summary of the rest
  EXPECT_EQ(summary->seq, 22u);

  auto text = render_text(r, EventsQuery{.limit = 1});
  EXPECT_NE(text.find(" limit_hit"), std::string::npos) << text;
  EXPECT_NE(text.find("#22 "), std::string::npos) << text;
  EXPECT_NE(text.find(" reason=connections_max count=49 (49 more like this"), std::string::npos)
      << text;
}

TEST(EventsView, EachLineSaysWhenInLocalTime) {
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EventRecorder r(8);
  Event e;
  e.type = EventType::dial_failed;
  e.wall_ns = kT0 + 123'456'789;  // 1'700'000'000 s is 2023-11-14 22:13:20 UTC
  r.record(e);
  auto lines = lines_of(render_text(r, EventsQuery{}));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].rfind("#1 2023-11-14T22:13:20.123 dial_failed", 0), 0u) << lines[0];
}

TEST(EventsView, QueryParameters) {
  auto q = parse_events_query(std::nullopt, std::nullopt);
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(q->since);
  EXPECT_EQ(q->limit, kEventsLimitDefault);
  q = parse_events_query("0", "10000");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->since, 0u);
  EXPECT_EQ(q->limit, 10'000u);
  EXPECT_FALSE(parse_events_query(std::nullopt, "0").ok());
  EXPECT_FALSE(parse_events_query(std::nullopt, "10001").ok());
  EXPECT_FALSE(parse_events_query("-1", std::nullopt).ok());
  EXPECT_FALSE(parse_events_query("x", std::nullopt).ok());
}

TEST(EventsView, RejectsAnswersThatAreNotTheDaemons) {
  EXPECT_FALSE(render_events(nlohmann::json::array(), std::nullopt, false, false).ok());
  EXPECT_FALSE(
      render_events({{"events", nlohmann::json::array()}}, std::nullopt, false, false).ok());
  EventRecorder r(8);
  overflow(r);
  auto answer = events_answer(r, {}, kT0);
  answer["events"][0]["type"] = "nope";
  EXPECT_FALSE(render_events(answer, std::nullopt, false, false).ok());
}

}  // namespace
}  // namespace agora
