// How many events one answer of GET /api/v0/events (and one page of `agora events`) holds: shared
// by the CLI, which asks, and the API, which checks.
#pragma once

#include <cstdint>

namespace agora {

inline constexpr uint64_t kEventsLimitDefault = 1000;  // events per answer unless asked
inline constexpr uint64_t kEventsLimitMax = 10'000;    // bounds one answer's size

}  // namespace agora
