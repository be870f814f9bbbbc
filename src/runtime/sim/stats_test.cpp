// Order statistics and the trace hash.
#include "runtime/sim/stats.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "runtime/sim/trace.h"

namespace agora::sim {
namespace {

TEST(Stats, NearestRankPercentiles) {
  Summary s = summarize({5, 1, 4, 2, 3, 6, 7, 8, 9, 10});
  EXPECT_EQ(s.count, 10u);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.median, 5);  // rank ceil(0.5 * 10) = 5
  EXPECT_DOUBLE_EQ(s.p90, 9);     // rank 9
  EXPECT_DOUBLE_EQ(s.p99, 10);    // rank ceil(9.9) = 10
  EXPECT_DOUBLE_EQ(s.max, 10);
  Summary one = summarize({4});
  EXPECT_DOUBLE_EQ(one.median, 4);
  EXPECT_DOUBLE_EQ(one.p90, 4);
  Summary none = summarize({});
  EXPECT_EQ(none.count, 0u);
  EXPECT_DOUBLE_EQ(none.max, 0);
}

TEST(Stats, MemoryUsageIsReadOnLinux) {
  MemoryUsage m = read_memory_usage();
  EXPECT_GT(m.rss_bytes, 0u);
  EXPECT_GE(m.peak_rss_bytes, m.rss_bytes);
}

TEST(Trace, HashIsSha256OfTheLines) {
  Trace t;
  t.line("{} {}", 1, "a");
  t.line("b");
  EXPECT_EQ(t.lines(), 2u);
  // sha256("1 a\nb\n")
  EXPECT_EQ(t.finish(), "e1df1ed6added09e6a90f12a07a2b43837edceacaf0bf20637e25a2010e2f433");
}

TEST(Trace, SameLinesSameHashAcrossBufferFlushes) {
  Trace a, b;
  for (int i = 0; i < 20000; ++i) a.line("event {} node {}", i, i * 7);
  for (int i = 0; i < 20000; ++i) b.line("event {} node {}", i, i * 7);
  Trace c;
  for (int i = 0; i < 20000; ++i) c.line("event {} node {}", i, i == 19999 ? 0 : i * 7);
  std::string ha = a.finish();
  EXPECT_EQ(ha, b.finish());
  EXPECT_NE(ha, c.finish());
}

TEST(Trace, WritesLinesToFile) {
  std::string path = ::testing::TempDir() + "/trace_test.txt";
  Trace t;
  ASSERT_TRUE(t.open_file(path).ok());
  t.line("x {}", 1);
  t.finish();
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "x 1\n");
  std::remove(path.c_str());
  Trace bad;
  EXPECT_FALSE(bad.open_file("/nonexistent/dir/trace.txt").ok());
}

}  // namespace
}  // namespace agora::sim
