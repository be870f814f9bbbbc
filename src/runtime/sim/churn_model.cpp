#include "runtime/sim/churn_model.h"

#include <cassert>
#include <cmath>

namespace agora::sim {

ChurnModel::ChurnModel(ChurnConfig config)
    : config_(config),
      session_scale_ns_(
          weibull_scale_for_median(config.session_shape, double(config.session_median.count()))),
      offline_scale_ns_(
          weibull_scale_for_median(config.offline_shape, double(config.offline_median.count()))) {
  assert(config.session_shape > 0 && config.offline_shape > 0);
}

Duration ChurnModel::draw(double shape, double scale_ns, Prng& rng) const {
  double ns = rng.weibull(shape, scale_ns);
  // A heavy tail can exceed int64 nanoseconds (292 years); any run is far shorter.
  constexpr double kCapNs = 1e18;
  if (!(ns < kCapNs)) ns = kCapNs;
  // Whole milliseconds: a last-bit difference in libm's log/pow almost never changes the result.
  Duration d = std::chrono::milliseconds(static_cast<int64_t>(ns / 1e6));
  return d < config_.length_min ? config_.length_min : d;
}

Duration ChurnModel::session_length(Prng& rng) const {
  return draw(config_.session_shape, session_scale_ns_, rng);
}

Duration ChurnModel::offline_length(Prng& rng) const {
  return draw(config_.offline_shape, offline_scale_ns_, rng);
}

double ChurnModel::online_fraction() const {
  const double on = session_scale_ns_ * std::tgamma(1.0 + 1.0 / config_.session_shape);
  const double off = offline_scale_ns_ * std::tgamma(1.0 + 1.0 / config_.offline_shape);
  return on / (on + off);
}

}  // namespace agora::sim
