// Time as a value. Cores never read a clock: callers pass `now` in.
#pragma once

#include <chrono>
#include <cstdint>

namespace agora {

using Duration = std::chrono::nanoseconds;
// A point on a monotonic clock. The runtime maps it to steady_clock; the simulator to virtual time.
using Instant = std::chrono::time_point<std::chrono::steady_clock, Duration>;

using std::chrono::milliseconds;
using std::chrono::seconds;

inline int64_t to_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace agora
