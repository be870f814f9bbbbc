// Simulated links: a base one-way latency per pair of nodes, plus jitter, and message loss.
//
// plane: each node gets a random position in the unit square (think: a map of the world); the
// base latency grows linearly with the distance, from latency_min (same place) to latency_max
// (opposite corners), so latencies obey the triangle inequality.
// pairwise: the base latency of each pair is uniform in [latency_min, latency_max], drawn from a
// hash of the seed and the pair (the T4 test plans' "drawn per pair from 10-150 ms").
// Each message adds uniform jitter in [0, jitter]. No per-pair state is stored (8 bytes per node
// for plane), so both scale to 100,000 nodes.
#pragma once

#include <cstdint>
#include <vector>

#include "base/time.h"
#include "runtime/sim/prng.h"

namespace agora::sim {

enum class LatencyModel : uint8_t { plane, pairwise };
const char* latency_model_name(LatencyModel model);

struct LinkConfig {
  LatencyModel model = LatencyModel::plane;
  Duration latency_min = std::chrono::milliseconds(10);
  Duration latency_max = std::chrono::milliseconds(150);
  Duration jitter = std::chrono::milliseconds(5);
  double loss = 0.0;  // probability that one message is lost
};

class LinkModel {
 public:
  LinkModel(LinkConfig config, size_t nodes, Prng rng);

  // Symmetric, without jitter.
  Duration base_latency(uint32_t a, uint32_t b) const;
  // One message's delay: base latency plus jitter drawn from `rng`.
  Duration delay(uint32_t from, uint32_t to, Prng& rng) const;
  bool lost(Prng& rng) const { return rng.bernoulli(config_.loss); }
  const LinkConfig& config() const { return config_; }

 private:
  struct Position {
    float x;
    float y;
  };
  LinkConfig config_;
  uint64_t pair_seed_;
  std::vector<Position> positions_;
};

}  // namespace agora::sim
