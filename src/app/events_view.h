// `agora events` and GET /api/v0/events: the query, the daemon's answer and the CLI's rendering of
// it, as pure functions so that their order and their notes about dropped events are tested
// without a daemon. A read without `since` shows the newest events; one with `since` the oldest
// after it. Either says how many events it asked for were dropped from the ring (`missed`) and
// how many it held but did not show because of the limit (`not_shown`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/result.h"
#include "observe/events.h"

namespace agora {

inline constexpr uint64_t kEventsLimitDefault = 1000;  // events per answer unless asked
inline constexpr uint64_t kEventsLimitMax = 10'000;    // bounds one answer's size

struct EventsQuery {
  std::optional<uint64_t> since;  // none: the newest events
  uint64_t limit = kEventsLimitDefault;
};

// From the route's parameters (nullopt when absent). Errors name the parameter.
Result<EventsQuery> parse_events_query(const std::optional<std::string>& since,
                                       const std::optional<std::string>& limit);
// The route's answer: observe::to_json of the page, read at `now_ns` (Unix ns).
nlohmann::json events_answer(observe::EventRecorder& events, const EventsQuery& query,
                             int64_t now_ns);

struct EventsOutput {
  std::string text;         // what the CLI prints for this answer
  uint64_t next_since = 0;  // where --follow asks from next
  bool more = false;        // held events past the limit: ask again at once
};
// One line per event, oldest first, with notes on dropped and unshown events; with `json`, one
// JSON object per line: the events, and before them {"missed", "not_shown", "dropped",
// "capacity", "last_seq"} when something was dropped or not shown. `follow` pages on instead of
// suggesting options. Rejects an answer that is not what the daemon sends.
Result<EventsOutput> render_events(const nlohmann::json& answer, std::optional<uint64_t> since,
                                   bool json, bool follow);

}  // namespace agora
