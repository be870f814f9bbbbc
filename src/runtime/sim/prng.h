// A seeded, portable PRNG (xoshiro256** seeded by splitmix64) and the samplers the simulator uses.
//
// std:: distributions differ between standard library versions, so every sampler here is written
// out: the same seed gives the same integers with any compiler. The floating-point samplers use
// log and pow, which another libm (or another CPU variant of glibc's) may round differently in
// the last bit; callers round their results to coarse units (churn: whole milliseconds), so such
// a difference changes a run only in the rare draw that lands on a rounding boundary.
#pragma once

#include <array>
#include <cstdint>

namespace agora::sim {

// splitmix64: a good 64-bit mixer; used to seed xoshiro and to derive stream seeds.
uint64_t splitmix64(uint64_t& state);
// One-shot mix of a value, e.g. to derive a seed for (seed, stream).
uint64_t mix64(uint64_t value);

class Prng {
 public:
  explicit Prng(uint64_t seed);

  uint64_t next_u64();
  // Uniform in [0, bound), without modulo bias (Lemire's method). bound 0 returns 0.
  uint64_t uniform_u64(uint64_t bound);
  // Uniform in [0, 1) with 53 random bits.
  double uniform01();
  // Uniform in (0, 1]: safe to take the log of.
  double uniform01_open_low();
  bool bernoulli(double p);
  // Exponential with the given mean, by inverse CDF.
  double exponential(double mean);
  // Weibull by inverse CDF: scale * (-ln U)^(1/shape).
  double weibull(double shape, double scale);
  // An independent generator for a named purpose, so one part drawing more numbers never shifts
  // what another part draws (churn stays the same when the lookup count changes).
  Prng fork(uint64_t stream) const;

 private:
  std::array<uint64_t, 4> s_;
  uint64_t seed_;
};

// The Weibull scale giving the median: median = scale * ln(2)^(1/shape).
double weibull_scale_for_median(double shape, double median);

}  // namespace agora::sim
