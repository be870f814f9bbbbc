#include "runtime/sim/link_model.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace agora::sim {

const char* latency_model_name(LatencyModel model) {
  switch (model) {
    case LatencyModel::plane:
      return "plane";
    case LatencyModel::pairwise:
      return "pairwise";
  }
  return "unknown";
}

LinkModel::LinkModel(LinkConfig config, size_t nodes, Prng rng)
    : config_(config), pair_seed_(rng.next_u64()) {
  assert(config_.latency_min <= config_.latency_max);
  positions_.reserve(nodes);
  for (size_t i = 0; i < nodes; ++i) {
    float x = static_cast<float>(rng.uniform01());
    float y = static_cast<float>(rng.uniform01());
    positions_.push_back({x, y});
  }
}

Duration LinkModel::base_latency(uint32_t a, uint32_t b) const {
  assert(a < positions_.size() && b < positions_.size());
  const auto span_ns = uint64_t((config_.latency_max - config_.latency_min).count());
  if (config_.model == LatencyModel::pairwise) {
    if (a == b) return config_.latency_min;
    const uint64_t pair = uint64_t(std::min(a, b)) << 32 | std::max(a, b);
    const uint64_t h = mix64(pair_seed_ ^ mix64(pair));
    // Multiply-shift maps the hash onto [0, span]; its tiny bias does not matter for latency.
    const auto offset = uint64_t((static_cast<unsigned __int128>(h) * (span_ns + 1)) >> 64);
    return config_.latency_min + Duration(int64_t(offset));
  }
  const double dx = double(positions_[a].x) - double(positions_[b].x);
  const double dy = double(positions_[a].y) - double(positions_[b].y);
  const double fraction = std::sqrt(dx * dx + dy * dy) / std::sqrt(2.0);  // 0..1
  return config_.latency_min +
         Duration(static_cast<int64_t>(std::llround(double(span_ns) * fraction)));
}

Duration LinkModel::delay(uint32_t from, uint32_t to, Prng& rng) const {
  Duration d = base_latency(from, to);
  const auto jitter_ns = static_cast<uint64_t>(config_.jitter.count());
  if (jitter_ns > 0) d += Duration(static_cast<int64_t>(rng.uniform_u64(jitter_ns + 1)));
  return d;
}

}  // namespace agora::sim
