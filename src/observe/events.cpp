// Event recorder ring and the JSON form of events.
#include "observe/events.h"

#include <algorithm>
#include <chrono>

namespace agora::observe {

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
  return e;
}

EventRecorder::EventRecorder(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

uint64_t EventRecorder::record(Event e) {
  if (e.wall_ns == 0) {
    e.wall_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  }
  std::lock_guard lock(mu_);
  e.seq = next_seq_++;
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(e));  // grows on demand: an idle node does not pay for the capacity
  } else {
    ring_[head_] = std::move(e);  // overwrite the oldest
    head_ = (head_ + 1) % capacity_;
    ++dropped_;
  }
  return next_seq_ - 1;
}

std::vector<Event> EventRecorder::since(uint64_t after, size_t max) const {
  std::lock_guard lock(mu_);
  std::vector<Event> out;
  uint64_t last = next_seq_ - 1;
  if (ring_.empty() || after >= last) return out;
  // Seqs in the ring are consecutive, the oldest at head_.
  uint64_t oldest = next_seq_ - ring_.size();
  uint64_t first = std::max(oldest, after + 1);
  size_t skip = size_t(first - oldest);
  size_t n = std::min(ring_.size() - skip, max);
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(ring_[(head_ + skip + i) % ring_.size()]);
  return out;
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
  return ring_.size();
}

}  // namespace agora::observe
