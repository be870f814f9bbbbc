#include "runtime/sim/prng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace agora::sim {
namespace {

TEST(Prng, SplitMix64MatchesReferenceVector) {
  // First outputs of the reference splitmix64.c seeded with 1234567.
  uint64_t state = 1234567;
  EXPECT_EQ(splitmix64(state), 6457827717110365317ULL);
  EXPECT_EQ(splitmix64(state), 3203168211198807973ULL);
  EXPECT_EQ(splitmix64(state), 9817491932198370423ULL);
}

TEST(Prng, SameSeedSameSequenceDifferentSeedDifferent) {
  Prng a(42), b(42), c(43);
  bool any_differs = false;
  for (int i = 0; i < 1000; ++i) {
    uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    any_differs |= x != c.next_u64();
  }
  EXPECT_TRUE(any_differs);
}

TEST(Prng, Xoshiro256StarStarMatchesIndependentImplementation) {
  // Computed with a separate Python transcription of xoshiro256** seeded by splitmix64(1).
  // Scenario results depend on these numbers: a change here changes every trace hash.
  Prng p(1);
  EXPECT_EQ(p.next_u64(), 12966619160104079557ULL);
  EXPECT_EQ(p.next_u64(), 9600361134598540522ULL);
  EXPECT_EQ(p.next_u64(), 10590380919521690900ULL);
}

TEST(Prng, UniformStaysInBoundAndCoversIt) {
  Prng p(7);
  std::vector<int> counts(10);
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = p.uniform_u64(10);
    ASSERT_LT(v, 10u);
    ++counts[v];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 500);
  EXPECT_EQ(p.uniform_u64(0), 0u);
  EXPECT_EQ(p.uniform_u64(1), 0u);
}

TEST(Prng, Uniform01IsInHalfOpenInterval) {
  Prng p(9);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    double u = p.uniform01();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    double v = p.uniform01_open_low();
    ASSERT_GT(v, 0.0);
    ASSERT_LE(v, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.01);
}

TEST(Prng, ExponentialHasTheRequestedMean) {
  Prng p(11);
  double sum = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) sum += p.exponential(3.0);
  EXPECT_NEAR(sum / n, 3.0, 0.05);
}

TEST(Prng, WeibullHasTheRequestedMedian) {
  for (double shape : {0.5, 1.0, 2.5}) {
    Prng p(13);
    const double scale = weibull_scale_for_median(shape, 1800.0);
    const int n = 100001;
    std::vector<double> v;
    for (int i = 0; i < n; ++i) v.push_back(p.weibull(shape, scale));
    std::nth_element(v.begin(), v.begin() + n / 2, v.end());
    EXPECT_NEAR(v[n / 2], 1800.0, 1800.0 * 0.03) << "shape " << shape;
  }
}

TEST(Prng, BernoulliEdgesAndRate) {
  Prng p(5);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) {
    EXPECT_FALSE(p.bernoulli(0.0));
    EXPECT_TRUE(p.bernoulli(1.0));
    hits += p.bernoulli(0.25) ? 1 : 0;
  }
  EXPECT_NEAR(hits, 25000, 600);
}

TEST(Prng, ForksAreIndependentOfParentUse) {
  Prng parent(3);
  Prng f1 = parent.fork(1);
  parent.next_u64();  // using the parent does not change what a fork gives
  Prng f1_again = parent.fork(1);
  Prng f2 = parent.fork(2);
  uint64_t a = f1.next_u64();
  EXPECT_EQ(a, f1_again.next_u64());
  EXPECT_NE(a, f2.next_u64());
}

}  // namespace
}  // namespace agora::sim
