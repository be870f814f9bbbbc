// Flight recorder: bounded, thread-safe rings of typed node events, one per subsystem
// (connections, discovery, content, defences), with gap-detectable sequence numbers shared by all.
// Old events are overwritten when their subsystem's ring is full and counted in dropped(), so a
// storm in one subsystem (connection churn from peers that complete real handshakes) cannot push
// another's rare events (a quarantined block) out. Reads merge the rings in seq order; a reader
// polling since(last_seq) sees a jump in seq when it fell behind (Syncthing event-id semantics),
// and read() says how many of the events it asked for are gone.
//
// Refusals (limit_hit, handshake_failed, peer_misbehaved, stream_reset) are rate-limited so that a
// flood of them cannot push the real events out of the ring: per (type, reason) the first refusal
// in a summary window is recorded as is, the rest are only counted, and when the window ends one
// summary event carries their count. A flood therefore costs at most one event per key per window,
// and the per-key table holds at most summary_keys_max keys (later keys share one overflow slot).
// Windows are measured on the events' wall_ns (time is passed in; the recorder reads the clock only
// to stamp events given without one). Callers count refusals in metrics themselves, exactly.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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
  block_ref_broken,  // a file reference's file changed or vanished: reference dropped, not served
  trace_export_failed,   // the OTLP collector could not be reached or refused spans (first failure)
  reachability_changed,  // AutoNAT: peers can (no longer) dial this node back; reason: the new
                         // state
};
inline constexpr EventType kAllEventTypes[] = {
    EventType::connection_opened,      EventType::connection_closed, EventType::handshake_failed,
    EventType::protocol_negotiated,    EventType::limit_hit,         EventType::dial_failed,
    EventType::stream_reset,           EventType::peer_identified,   EventType::listen_started,
    EventType::peer_misbehaved,        EventType::peer_discovered,   EventType::block_quarantined,
    EventType::partial_output_removed, EventType::block_ref_broken,  EventType::trace_export_failed,
    EventType::reachability_changed,
};
const char* event_type_name(EventType type);  // snake_case, as in the enum
std::optional<EventType> parse_event_type(std::string_view name);

// Which ring an event goes to.
enum class Subsystem { connections, discovery, content, defences };
inline constexpr size_t kSubsystemCount = 4;
Subsystem subsystem_of(EventType type);
const char* subsystem_name(Subsystem s);

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
  uint64_t count = 1;    // occurrences it stands for: > 1 only for a summary of refusals
  bool operator==(const Event&) const = default;
};

nlohmann::json to_json(const Event& e);
// For the CLI side: rejects non-objects, unknown types/directions and wrongly typed fields.
// Missing string fields are empty, a missing "count" is 1; "seq" and "wall_ns" are required.
Result<Event> event_from_json(const nlohmann::json& j);

// Whether events of this type are refusals, rate-limited into summaries. Connection and discovery
// events of honest peers are not: each is recorded.
bool is_summarized(EventType type);

struct EventRecorderConfig {
  size_t capacity = 4096;  // events kept per subsystem's ring; 0 is treated as 1
  // Repeats of one refusal (type, reason) inside this window become one summary; 0 records each.
  std::chrono::nanoseconds summary_window = std::chrono::seconds(1);
  size_t summary_keys_max = 64;  // (type, reason) keys tracked at once; the rest share one slot
};

// One read of the ring, taken under one lock.
struct EventPage {
  std::vector<Event> events;  // oldest first
  uint64_t last_seq = 0;      // newest seq recorded (0 before the first)
  uint64_t dropped = 0;       // events overwritten since the start
  // Events the read asked for that were overwritten: seq in (after, oldest held). For a read of
  // the newest events, every overwritten event.
  uint64_t missed = 0;
  // Events held in the asked range but not returned because of `max`: the older ones for a read
  // of the newest, the newer ones for a read after a seq.
  uint64_t not_shown = 0;
  size_t capacity = 0;  // of each subsystem's ring
};
nlohmann::json to_json(const EventPage& page);  // {"events", "last_seq", "dropped", ...}

class EventRecorder {
 public:
  static constexpr size_t kDefaultCapacity = EventRecorderConfig{}.capacity;
  explicit EventRecorder(size_t capacity = kDefaultCapacity);
  explicit EventRecorder(EventRecorderConfig config);

  // Assigns the next seq and returns it, or 0 when the event was a repeated refusal that was only
  // counted (it will be in a summary). Callers should pass wall_ns in (cores do not read clocks);
  // when it is 0 the recorder reads the system clock, which is fine outside the cores. Summaries
  // whose window ended by the event's wall_ns are recorded first.
  uint64_t record(Event e);
  // Records the summaries of windows that ended by `now_ns` (Unix ns).
  void flush(int64_t now_ns);

  // After flush(now_ns): events with seq > *after, oldest first, or without `after` the newest;
  // at most `max` of them, with what the read could not show.
  EventPage read(std::optional<uint64_t> after, size_t max, int64_t now_ns);

  // Events with seq > after, oldest first, at most `max` of them. If events after `after` were
  // already overwritten, the result starts at the oldest retained event (the seq gap shows it).
  std::vector<Event> since(uint64_t after, size_t max) const;

  uint64_t dropped() const;   // events overwritten before anyone could be sure to read them
  uint64_t last_seq() const;  // 0 before the first event
  size_t size() const;        // in all the rings
  size_t capacity() const { return config_.capacity; }  // of each subsystem's ring
  size_t summary_keys() const;  // (type, reason) keys being summarized now, overflow included

 private:
  struct Window {  // the refusals of one key inside the current summary window
    int64_t start_ns = 0;
    uint64_t suppressed = 0;  // counted, not recorded
    Event last;               // the latest suppressed one: its peer and detail go in the summary
  };
  using Key = std::pair<EventType, std::string>;

  uint64_t append_locked(Event e);
  void flush_locked(int64_t now_ns);
  bool window_over(const Window& w, int64_t now_ns) const;
  // Records w's summary if it counted anything; false when the window was quiet.
  bool close_window_locked(Window& w, int64_t now_ns, bool overflow);
  uint64_t summarize_locked(Event e);
  EventPage read_locked(std::optional<uint64_t> after, size_t max) const;

  struct Ring {
    std::vector<Event> events;  // grows to capacity, then wraps; seqs increase from head
    size_t head = 0;            // index of the oldest event once full
  };

  EventRecorderConfig config_;
  mutable std::mutex mu_;
  std::array<Ring, kSubsystemCount> rings_;
  uint64_t next_seq_ = 1;
  uint64_t dropped_ = 0;
  std::map<Key, Window> windows_;   // at most summary_keys_max
  std::optional<Window> overflow_;  // refusals of keys beyond summary_keys_max, together
};

}  // namespace agora::observe
