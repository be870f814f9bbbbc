// GET /api/v0/events' parameters. A read without `since` shows the newest events; one with
// `since` the oldest after it, at most `limit` (1..kEventsLimitMax) of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agora/result.h"
#include "app/events_limits.h"

namespace agora {

struct EventsQuery {
  std::optional<uint64_t> since;  // none: the newest events
  uint64_t limit = kEventsLimitDefault;
};

// From the route's parameters (nullopt when absent). Errors name the parameter.
Result<EventsQuery> parse_events_query(const std::optional<std::string>& since,
                                       const std::optional<std::string>& limit);

}  // namespace agora
