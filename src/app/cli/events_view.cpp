// The CLI's rendering of the events answer; see events_view.h.
#include "app/cli/events_view.h"

#include <fmt/format.h>

#include <ctime>

#include "agora/events.h"

namespace agora {

namespace {

Result<uint64_t> read_u64(const nlohmann::json& answer, const char* key) {
  auto it = answer.find(key);
  if (it == answer.end() || !it->is_number_unsigned())
    return make_error(Errc::invalid_input,
                      std::string("events answer: '") + key + "' missing or not a count");
  return it->get<uint64_t>();
}

// Local time to the millisecond, one word: 2026-01-05T03:12:01.123.
std::string local_time(int64_t wall_ns) {
  std::time_t seconds = std::time_t(wall_ns / 1'000'000'000);
  std::tm tm{};
  if (localtime_r(&seconds, &tm) == nullptr) return "-";
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}", text, wall_ns % 1'000'000'000 / 1'000'000);
}

std::string event_line(const EventView& e) {
  std::string line = fmt::format("#{} {} {} {} {} {}", e.seq, local_time(e.wall_ns), e.type,
                                 e.direction, e.peer, e.addr);
  if (!e.protocol.empty()) line += " protocol=" + e.protocol;
  if (!e.reason.empty()) line += " reason=" + e.reason;
  if (e.count > 1) line += fmt::format(" count={}", e.count);
  if (!e.detail.empty()) line += " (" + e.detail + ")";
  return line + "\n";
}

}  // namespace

Result<EventsOutput> render_events(const nlohmann::json& answer, std::optional<uint64_t> since,
                                   bool json, bool follow) {
  if (!answer.is_object() || !answer.contains("events") || !answer["events"].is_array())
    return make_error(Errc::invalid_input, "events answer: no 'events' list");
  AGORA_ASSIGN(uint64_t missed, read_u64(answer, "missed"));
  AGORA_ASSIGN(uint64_t not_shown, read_u64(answer, "not_shown"));
  AGORA_ASSIGN(uint64_t dropped, read_u64(answer, "dropped"));
  AGORA_ASSIGN(uint64_t capacity, read_u64(answer, "capacity"));
  AGORA_ASSIGN(uint64_t last_seq, read_u64(answer, "last_seq"));
  std::vector<EventView> events;
  for (const auto& j : answer["events"]) {
    AGORA_ASSIGN(EventView e, parse_event(j));
    events.push_back(std::move(e));
  }

  EventsOutput out;
  out.next_since = !events.empty() ? events.back().seq : since.value_or(last_seq);
  out.more = follow && not_shown > 0 && since.has_value();
  if (json) {
    if (missed > 0 || not_shown > 0) {
      out.text += nlohmann::json{{"missed", missed},
                                 {"not_shown", not_shown},
                                 {"dropped", dropped},
                                 {"capacity", capacity},
                                 {"last_seq", last_seq}}
                      .dump() +
                  "\n";
    }
    for (const auto& j : answer["events"]) out.text += j.dump() + "\n";
    return out;
  }
  // Notes about older events come first, where those events would have been.
  if (missed > 0) {
    std::string which = since ? fmt::format("events after #{}", *since) : "older events";
    out.text +=
        fmt::format("… {} {} dropped (each subsystem's ring holds {})\n", missed, which, capacity);
  }
  if (not_shown > 0 && !since)
    out.text += fmt::format("… {} older events not shown (raise --limit)\n", not_shown);
  for (const auto& e : events) out.text += event_line(e);
  if (not_shown > 0 && since && !follow) {
    out.text += fmt::format("… {} newer events not shown (raise --limit, or --since {})\n",
                            not_shown, out.next_since);
  }
  return out;
}

}  // namespace agora
