// Simulated links: one-way latency from node positions plus jitter, and message loss.
//
// Each node gets a random position in the unit square (think: a map of the world). The base
// one-way latency between two nodes grows linearly with their distance, from latency_min (same
// place) to latency_max (opposite corners); each message adds uniform jitter in [0, jitter].
// Positions take 8 bytes per node and no per-pair state, so the model scales to 100,000 nodes.
#pragma once

#include <cstdint>
#include <vector>

#include "base/time.h"
#include "runtime/sim/prng.h"

namespace agora::sim {

struct LinkConfig {
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
  std::vector<Position> positions_;
};

}  // namespace agora::sim
