// Helpers shared by the in-process node tests: polling for a condition, and reading a metric.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "node/node.h"

namespace agora::test {

// Polls `cond` every 10 ms until it holds or `timeout` passes; returns whether it held.
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// Value of one series in the Prometheus text, e.g. `agora_x_total{reason="timeout"}`; 0 if absent.
inline double metric(Node& node, const std::string& series) {
  std::string text = node.metrics().render_prometheus();
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return 0;
}

}  // namespace agora::test
