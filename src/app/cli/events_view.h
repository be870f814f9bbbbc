// `agora events`: the CLI's rendering of GET /api/v0/events' answer (the query is parsed by the
// API, api/events_query.h), as a pure function so that its order and its notes about dropped
// events are tested without a daemon. A read without `since` shows the newest events; one with
// `since` the oldest after it. Either says how many events it asked for were dropped from the ring
// (`missed`) and how many it held but did not show because of the limit (`not_shown`).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agora/result.h"
#include "app/events_limits.h"

namespace agora {

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
