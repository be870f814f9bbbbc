// Virtual time: a queue of events ordered by (time, sequence number), and the clock it drives.
//
// Ties in time are broken by the order events were scheduled, so a run is a pure function of its
// inputs. Popping an event moves the clock to its time; time never goes backwards.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "base/time.h"

namespace agora::sim {

template <class Payload>
class EventQueue {
 public:
  struct Event {
    Instant at;
    uint64_t seq;
    Payload payload;
  };

  Instant now() const { return now_; }
  size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  uint64_t scheduled_total() const { return next_seq_; }

  // Schedules at `at`, or now when `at` is in the past (a caller's rounding, never a jump back).
  void schedule(Instant at, Payload payload) {
    if (at < now_) at = now_;
    heap_.push(Event{at, next_seq_++, std::move(payload)});
  }
  void schedule_after(Duration delay, Payload payload) {
    assert(delay >= Duration::zero());
    schedule(now_ + delay, std::move(payload));
  }

  std::optional<Instant> next_time() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.top().at;
  }

  // The earliest event; the clock moves to its time.
  std::optional<Event> pop() {
    if (heap_.empty()) return std::nullopt;
    Event e = heap_.top();
    heap_.pop();
    assert(e.at >= now_);
    now_ = e.at;
    return e;
  }

  // Moves the clock forward with no event, e.g. to the end of a run.
  void advance_to(Instant t) {
    assert(heap_.empty() || t <= heap_.top().at);
    if (t > now_) now_ = t;
  }

 private:
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      if (a.at != b.at) return a.at > b.at;
      return a.seq > b.seq;
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap_;
  Instant now_{};
  uint64_t next_seq_ = 0;
};

}  // namespace agora::sim
