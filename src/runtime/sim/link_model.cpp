#include "runtime/sim/link_model.h"

#include <cassert>
#include <cmath>

namespace agora::sim {

LinkModel::LinkModel(LinkConfig config, size_t nodes, Prng rng) : config_(config) {
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
  const double dx = double(positions_[a].x) - double(positions_[b].x);
  const double dy = double(positions_[a].y) - double(positions_[b].y);
  const double fraction = std::sqrt(dx * dx + dy * dy) / std::sqrt(2.0);  // 0..1
  const auto span = static_cast<double>((config_.latency_max - config_.latency_min).count());
  return config_.latency_min + Duration(static_cast<int64_t>(std::llround(span * fraction)));
}

Duration LinkModel::delay(uint32_t from, uint32_t to, Prng& rng) const {
  Duration d = base_latency(from, to);
  const auto jitter_ns = static_cast<uint64_t>(config_.jitter.count());
  if (jitter_ns > 0) d += Duration(static_cast<int64_t>(rng.uniform_u64(jitter_ns + 1)));
  return d;
}

}  // namespace agora::sim
