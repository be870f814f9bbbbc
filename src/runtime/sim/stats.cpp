#include "runtime/sim/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace agora::sim {

double nearest_rank(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<size_t>(std::ceil(p * double(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

Summary summarize(std::vector<double> values) {
  Summary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = values.size();
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / double(values.size());
  s.median = nearest_rank(values, 0.5);
  s.p90 = nearest_rank(values, 0.9);
  s.p99 = nearest_rank(values, 0.99);
  s.max = values.back();
  return s;
}

MemoryUsage read_memory_usage() {
  MemoryUsage m;
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return m;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long kib = 0;
    if (std::sscanf(line, "VmRSS: %llu kB", &kib) == 1) m.rss_bytes = kib * 1024;
    if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) m.peak_rss_bytes = kib * 1024;
  }
  std::fclose(f);
  return m;
}

}  // namespace agora::sim
