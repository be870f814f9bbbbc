#include "app/api/events_query.h"

#include <fmt/format.h>

#include "app/api/http_reply.h"

namespace agora {

Result<EventsQuery> parse_events_query(const std::optional<std::string>& since,
                                       const std::optional<std::string>& limit) {
  EventsQuery q;
  if (since) {
    AGORA_ASSIGN(q.since, parse_u64(*since, "since"));
  }
  if (limit) {
    AGORA_ASSIGN(q.limit, parse_u64(*limit, "limit"));
    if (q.limit == 0 || q.limit > kEventsLimitMax)
      return make_error(Errc::invalid_input,
                        fmt::format("limit: {} is out of range (1..{})", q.limit, kEventsLimitMax));
  }
  return q;
}

}  // namespace agora
