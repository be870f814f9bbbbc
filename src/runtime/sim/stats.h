// Order statistics for the report, and the process's memory use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace agora::sim {

// Percentiles use the nearest-rank definition: the p-quantile of n sorted values is the value
// at rank ceil(p * n) (1-based), so every reported figure is a value that was observed.
struct Summary {
  size_t count = 0;
  double mean = 0;
  double median = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
};

// An empty input gives a Summary of zeros with count 0.
Summary summarize(std::vector<double> values);
double nearest_rank(const std::vector<double>& sorted, double p);

struct MemoryUsage {
  uint64_t rss_bytes = 0;       // VmRSS now
  uint64_t peak_rss_bytes = 0;  // VmHWM: the high-water mark
};
// From /proc/self/status; zeros where it cannot be read (not Linux).
MemoryUsage read_memory_usage();

}  // namespace agora::sim
