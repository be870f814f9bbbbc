// Flight recorder: a bounded, thread-safe ring of typed node events with gap-detectable sequence
// numbers. Old events are overwritten when the ring is full and counted in dropped(); a reader
// polling since(last_seq) sees a jump in seq when it fell behind (Syncthing event-id semantics).
#pragma once

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace agora::observe {

enum class EventType {
  connection_opened,
  connection_closed,
  handshake_failed,
  protocol_negotiated,
  limit_hit,
  dial_failed,
  stream_reset,
  peer_identified,
  listen_started,
  peer_misbehaved,         // sent bad data (a corrupt block, a malformed message): cut off
  peer_discovered,         // learned of a peer: reason names how (mdns, bootstrap, ...)
  block_quarantined,       // a stored block failed its hash check: moved aside, never served
  partial_output_removed,  // an interrupted export's .agora-partial-* file, removed at start-up
};
inline constexpr EventType kAllEventTypes[] = {
    EventType::connection_opened,      EventType::connection_closed, EventType::handshake_failed,
    EventType::protocol_negotiated,    EventType::limit_hit,         EventType::dial_failed,
    EventType::stream_reset,           EventType::peer_identified,   EventType::listen_started,
    EventType::peer_misbehaved,        EventType::peer_discovered,   EventType::block_quarantined,
    EventType::partial_output_removed,
};
const char* event_type_name(EventType type);  // snake_case, as in the enum
std::optional<EventType> parse_event_type(std::string_view name);

enum class Direction { none, inbound, outbound };
const char* direction_name(Direction d);  // "", "inbound", "outbound"
std::optional<Direction> parse_direction(std::string_view name);

struct Event {
  uint64_t seq = 0;     // assigned by the recorder, starts at 1
  int64_t wall_ns = 0;  // Unix time in ns; 0 means "recorder, stamp it with the system clock"
  EventType type = EventType::connection_opened;
  std::string peer;  // peer id text, empty if unknown
  std::string addr;  // multiaddr text
  Direction direction = Direction::none;
  std::string protocol;  // protocol id, e.g. "/yamux/1.0.0"
  std::string reason;    // machine-readable reason class, e.g. "timeout"
  std::string detail;    // human-readable detail
  bool operator==(const Event&) const = default;
};

nlohmann::json to_json(const Event& e);
// For the CLI side: rejects non-objects, unknown types/directions and wrongly typed fields.
// Missing string fields are empty; "seq" and "wall_ns" are required.
Result<Event> event_from_json(const nlohmann::json& j);

class EventRecorder {
 public:
  static constexpr size_t kDefaultCapacity = 4096;
  explicit EventRecorder(size_t capacity = kDefaultCapacity);  // capacity 0 is treated as 1

  // Assigns the next seq and returns it. Callers should pass wall_ns in (cores do not read
  // clocks); when it is 0 the recorder reads the system clock, which is fine outside the cores.
  uint64_t record(Event e);

  // Events with seq > after, oldest first, at most `max` of them. If events after `after` were
  // already overwritten, the result starts at the oldest retained event (the seq gap shows it).
  std::vector<Event> since(uint64_t after, size_t max) const;

  uint64_t dropped() const;   // events overwritten before anyone could be sure to read them
  uint64_t last_seq() const;  // 0 before the first event
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::vector<Event> ring_;  // grows to capacity_, then wraps
  size_t head_ = 0;          // index of the oldest event once full
  uint64_t next_seq_ = 1;
  uint64_t dropped_ = 0;
};

}  // namespace agora::observe
