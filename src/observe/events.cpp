// Event recorder ring and the JSON form of events.
#include "observe/events.h"

#include <algorithm>
#include <chrono>

namespace agora::observe {

Subsystem subsystem_of(EventType type) {
  if (is_summarized(type)) return Subsystem::defences;  // refusals and misbehaviour
  switch (type) {
    case EventType::peer_discovered:
    case EventType::reachability_changed:
      return Subsystem::discovery;
    case EventType::block_quarantined:
    case EventType::partial_output_removed:
    case EventType::block_ref_broken:
    case EventType::trace_export_failed:  // rare, and what an operator acts on: kept long
      return Subsystem::content;
    default:
      return Subsystem::connections;
  }
}

const char* subsystem_name(Subsystem s) {
  switch (s) {
    case Subsystem::connections:
      return "connections";
    case Subsystem::discovery:
      return "discovery";
    case Subsystem::content:
      return "content";
    case Subsystem::defences:
      return "defences";
  }
  return "?";
}

const char* event_type_name(EventType type) {
  switch (type) {
    case EventType::connection_opened:
      return "connection_opened";
    case EventType::connection_closed:
      return "connection_closed";
    case EventType::handshake_failed:
      return "handshake_failed";
    case EventType::protocol_negotiated:
      return "protocol_negotiated";
    case EventType::limit_hit:
      return "limit_hit";
    case EventType::dial_failed:
      return "dial_failed";
    case EventType::stream_reset:
      return "stream_reset";
    case EventType::peer_identified:
      return "peer_identified";
    case EventType::listen_started:
      return "listen_started";
    case EventType::peer_misbehaved:
      return "peer_misbehaved";
    case EventType::peer_discovered:
      return "peer_discovered";
    case EventType::block_quarantined:
      return "block_quarantined";
    case EventType::partial_output_removed:
      return "partial_output_removed";
    case EventType::block_ref_broken:
      return "block_ref_broken";
    case EventType::trace_export_failed:
      return "trace_export_failed";
    case EventType::reachability_changed:
      return "reachability_changed";
  }
  return "unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (EventType t : kAllEventTypes) {
    if (name == event_type_name(t)) return t;
  }
  return std::nullopt;
}

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::none:
      return "";
    case Direction::inbound:
      return "inbound";
    case Direction::outbound:
      return "outbound";
  }
  return "";
}

std::optional<Direction> parse_direction(std::string_view name) {
  for (Direction d : {Direction::none, Direction::inbound, Direction::outbound}) {
    if (name == direction_name(d)) return d;
  }
  return std::nullopt;
}

nlohmann::json to_json(const Event& e) {
  return {
      {"seq", e.seq},           {"wall_ns", e.wall_ns}, {"type", event_type_name(e.type)},
      {"peer", e.peer},         {"addr", e.addr},       {"direction", direction_name(e.direction)},
      {"protocol", e.protocol}, {"reason", e.reason},   {"detail", e.detail},
      {"count", e.count},
  };
}

namespace {

Status read_string(const nlohmann::json& j, const char* key, std::string& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_string())
    return make_error(Errc::invalid_input,
                      std::string("event field '") + key + "' is not a string");
  out = it->get<std::string>();
  return {};
}

}  // namespace

Result<Event> event_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return make_error(Errc::invalid_input, "event is not a JSON object");
  Event e;
  auto seq = j.find("seq");
  if (seq == j.end() || !seq->is_number_unsigned()) {
    return make_error(Errc::invalid_input, "event field 'seq' missing or not an unsigned integer");
  }
  e.seq = seq->get<uint64_t>();
  auto wall = j.find("wall_ns");
  if (wall == j.end() || !wall->is_number_integer()) {
    return make_error(Errc::invalid_input, "event field 'wall_ns' missing or not an integer");
  }
  if (wall->is_number_unsigned() && wall->get<uint64_t>() > uint64_t(INT64_MAX)) {
    return make_error(Errc::invalid_input, "event field 'wall_ns' out of range");
  }
  e.wall_ns = wall->get<int64_t>();
  std::string type_name, direction;
  AGORA_TRY(read_string(j, "type", type_name));
  auto type = parse_event_type(type_name);
  if (!type) return make_error(Errc::invalid_input, "unknown event type '" + type_name + "'");
  e.type = *type;
  AGORA_TRY(read_string(j, "direction", direction));
  auto dir = parse_direction(direction);
  if (!dir) return make_error(Errc::invalid_input, "unknown direction '" + direction + "'");
  e.direction = *dir;
  AGORA_TRY(read_string(j, "peer", e.peer));
  AGORA_TRY(read_string(j, "addr", e.addr));
  AGORA_TRY(read_string(j, "protocol", e.protocol));
  AGORA_TRY(read_string(j, "reason", e.reason));
  AGORA_TRY(read_string(j, "detail", e.detail));
  if (auto count = j.find("count"); count != j.end()) {
    if (!count->is_number_unsigned() || count->get<uint64_t>() == 0)
      return make_error(Errc::invalid_input, "event field 'count' is not a positive integer");
    e.count = count->get<uint64_t>();
  }
  return e;
}

bool is_summarized(EventType type) {
  switch (type) {
    case EventType::limit_hit:
    case EventType::handshake_failed:
    case EventType::peer_misbehaved:
    case EventType::stream_reset:
      return true;
    default:
      return false;
  }
}

nlohmann::json to_json(const EventPage& page) {
  auto list = nlohmann::json::array();
  for (const Event& e : page.events) list.push_back(to_json(e));
  return {{"events", std::move(list)}, {"last_seq", page.last_seq},   {"dropped", page.dropped},
          {"missed", page.missed},     {"not_shown", page.not_shown}, {"capacity", page.capacity}};
}

EventRecorder::EventRecorder(size_t capacity)
    : EventRecorder(EventRecorderConfig{.capacity = capacity}) {}

EventRecorder::EventRecorder(EventRecorderConfig config) : config_(config) {
  config_.capacity = std::max<size_t>(config_.capacity, 1);
}

uint64_t EventRecorder::record(Event e) {
  if (e.wall_ns == 0) {
    e.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  }
  e.count = std::max<uint64_t>(e.count, 1);
  std::lock_guard lock(mu_);
  flush_locked(e.wall_ns);
  if (is_summarized(e.type) && config_.summary_window.count() > 0)
    return summarize_locked(std::move(e));
  return append_locked(std::move(e));
}

void EventRecorder::flush(int64_t now_ns) {
  std::lock_guard lock(mu_);
  flush_locked(now_ns);
}

uint64_t EventRecorder::append_locked(Event e) {
  e.seq = next_seq_++;
  Ring& ring = rings_[size_t(subsystem_of(e.type))];
  if (ring.events.size() < config_.capacity) {
    ring.events.push_back(std::move(e));  // grows on demand: an idle node does not pay for it
  } else {
    ring.events[ring.head] = std::move(e);  // overwrite the oldest
    ring.head = (ring.head + 1) % config_.capacity;
    ++dropped_;
  }
  return next_seq_ - 1;
}

uint64_t EventRecorder::summarize_locked(Event e) {
  Window* w = nullptr;
  auto it = windows_.find(Key{e.type, e.reason});
  if (it != windows_.end()) {
    w = &it->second;
  } else if (windows_.size() < config_.summary_keys_max) {
    windows_.emplace(Key{e.type, e.reason}, Window{.start_ns = e.wall_ns});
    return append_locked(std::move(e));  // the first of its kind in a window is shown as is
  } else if (overflow_) {
    w = &*overflow_;
  } else {
    overflow_ = Window{.start_ns = e.wall_ns};
    return append_locked(std::move(e));
  }
  w->suppressed += e.count;  // callers may pass a count of their own
  w->last = std::move(e);
  return 0;
}

bool EventRecorder::window_over(const Window& w, int64_t now_ns) const {
  const auto window = uint64_t(config_.summary_window.count());
  // Unsigned differences: no overflow however far apart the two times are.
  if (now_ns >= w.start_ns) return uint64_t(now_ns) - uint64_t(w.start_ns) >= window;
  // Earlier than the window's start: a clock stepped back (over the window) ends it too, while a
  // few microseconds between threads stamping events do not.
  return uint64_t(w.start_ns) - uint64_t(now_ns) > window;
}

bool EventRecorder::close_window_locked(Window& w, int64_t now_ns, bool overflow) {
  if (w.suppressed == 0) return false;
  Event summary = std::move(w.last);
  summary.count = w.suppressed;
  auto window_ms = std::chrono::duration_cast<std::chrono::milliseconds>(config_.summary_window);
  std::string what = std::to_string(w.suppressed) + " more like this, summarized every " +
                     std::to_string(window_ms.count()) + " ms";
  if (overflow) {
    // Mixed keys: the reason names the limit, so that counts per (type, reason) stay honest.
    what += " (several kinds: summary_keys_max reached; last reason " + summary.reason + ")";
    summary.reason = "summary_keys_max";
  }
  summary.detail = summary.detail.empty() ? what : what + "; last: " + summary.detail;
  append_locked(std::move(summary));
  // A key that was still flooding stays summarized for one more window, so a steady flood costs
  // one summary per window and no first-of-window events.
  w = Window{.start_ns = now_ns};
  return true;
}

void EventRecorder::flush_locked(int64_t now_ns) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (window_over(it->second, now_ns) && !close_window_locked(it->second, now_ns, false)) {
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
  if (overflow_ && window_over(*overflow_, now_ns) &&
      !close_window_locked(*overflow_, now_ns, true))
    overflow_.reset();
}

EventPage EventRecorder::read(std::optional<uint64_t> after, size_t max, int64_t now_ns) {
  std::lock_guard lock(mu_);
  flush_locked(now_ns);
  return read_locked(after, max);
}

EventPage EventRecorder::read_locked(std::optional<uint64_t> after, size_t max) const {
  EventPage page;
  page.last_seq = next_seq_ - 1;
  page.dropped = dropped_;
  page.capacity = config_.capacity;
  const uint64_t from = after.value_or(0);
  if (from >= page.last_seq) return page;
  // Every seq went to exactly one ring, each ring's seqs increase from its head: the held events
  // after `from`, merged in seq order.
  std::vector<const Event*> held;
  for (const Ring& ring : rings_) {
    for (size_t i = 0; i < ring.events.size(); ++i) {
      const Event& e = ring.events[(ring.head + i) % ring.events.size()];
      if (e.seq > from) held.push_back(&e);
    }
  }
  std::sort(held.begin(), held.end(),
            [](const Event* a, const Event* b) { return a->seq < b->seq; });
  page.missed = (page.last_seq - from) - held.size();  // asked for, and overwritten
  const size_t n = std::min(held.size(), max);
  page.not_shown = held.size() - n;
  // Newest: the last n held; after a seq: the first n after it.
  const size_t first = after ? 0 : held.size() - n;
  page.events.reserve(n);
  for (size_t i = first; i < first + n; ++i) page.events.push_back(*held[i]);
  return page;
}

std::vector<Event> EventRecorder::since(uint64_t after, size_t max) const {
  std::lock_guard lock(mu_);
  return read_locked(after, max).events;
}

uint64_t EventRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

uint64_t EventRecorder::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

size_t EventRecorder::size() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const Ring& ring : rings_) n += ring.events.size();
  return n;
}

size_t EventRecorder::summary_keys() const {
  std::lock_guard lock(mu_);
  return windows_.size() + (overflow_ ? 1 : 0);
}

}  // namespace agora::observe
