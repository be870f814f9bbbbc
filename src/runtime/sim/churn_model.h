// Churn: nodes alternate online sessions and offline periods with Weibull-distributed lengths.
//
// Measurement studies of Kademlia networks (KAD, IPFS) find heavy-tailed session lengths that
// fit a Weibull distribution with shape below 1. A configuration names each distribution by its
// median and shape; the scale follows: median = scale * ln(2)^(1/shape).
#pragma once

#include "base/time.h"
#include "runtime/sim/prng.h"

namespace agora::sim {

struct ChurnConfig {
  bool enabled = false;
  Duration session_median = std::chrono::minutes(30);
  double session_shape = 0.5;
  Duration offline_median = std::chrono::minutes(30);
  double offline_shape = 0.5;
  // Lengths are clamped to at least this, so a node is online long enough to bootstrap and a
  // zero-length draw cannot make two events share one instant.
  Duration length_min = std::chrono::seconds(1);
};

class ChurnModel {
 public:
  explicit ChurnModel(ChurnConfig config);

  Duration session_length(Prng& rng) const;
  Duration offline_length(Prng& rng) const;
  // Long-run fraction of time a churning node is online: mean session / (mean session + mean
  // offline), with mean = scale * Gamma(1 + 1/shape).
  double online_fraction() const;
  const ChurnConfig& config() const { return config_; }

 private:
  Duration draw(double shape, double scale_ns, Prng& rng) const;
  ChurnConfig config_;
  double session_scale_ns_;
  double offline_scale_ns_;
};

}  // namespace agora::sim
