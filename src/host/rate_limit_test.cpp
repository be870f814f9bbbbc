#include "host/rate_limit.h"

#include <gtest/gtest.h>

namespace agora::host {
namespace {

using std::chrono::milliseconds;

TEST(RateLimit, ZeroIsNoLimit) {
  RateLimit r(0);
  Instant now{};
  EXPECT_TRUE(r.unlimited());
  r.take(uint64_t(1) << 40, now);
  EXPECT_EQ(r.delay(now), Duration::zero());
  EXPECT_GT(r.available(now), uint64_t(1) << 40);
}

TEST(RateLimit, WritesGoIntoDebtAndWaitItOut) {
  RateLimit r(1'000'000, 100'000);  // 1 MB/s, 100 kB burst
  Instant now = Instant{} + std::chrono::seconds(1);
  EXPECT_EQ(r.available(now), 100'000u);
  r.take(600'000, now);  // a 600 kB write goes out whole: 500 kB of debt
  EXPECT_EQ(r.available(now), 0u);
  EXPECT_NEAR(double(to_ms(r.delay(now))), 500, 1);
  now += milliseconds(500);
  EXPECT_EQ(r.delay(now), Duration::zero());
}

TEST(RateLimit, OverTimeTheRateHoldsAndTheBurstCaps) {
  RateLimit r(2'000'000, 50'000);
  Instant start = Instant{} + std::chrono::seconds(1), now = start;
  uint64_t moved = 0;
  // A reader that takes what is available every millisecond, for two seconds.
  for (int i = 0; i < 2000; ++i) {
    uint64_t n = std::min<uint64_t>(r.available(now), 16'384);
    r.take(n, now);
    moved += n;
    now += milliseconds(1);
  }
  EXPECT_NEAR(double(moved), 4'000'000 + 50'000, 40'000);
  now += std::chrono::seconds(10);  // an idle while refills no more than the burst
  EXPECT_EQ(r.available(now), 50'000u);
}

}  // namespace
}  // namespace agora::host
