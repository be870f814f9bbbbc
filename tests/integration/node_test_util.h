// Helpers shared by the in-process node tests: polling for a condition, reading a metric, counting
// events, the process's memory, and running work on a node's loop from the test thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <optional>
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
inline double metric(node::Node& node, const std::string& series) {
  std::string text = node.metrics().render_prometheus();
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return 0;
}

// Occurrences of the events matching `match`, a summary by its count. The read is at the end of
// time, so every summary window has ended and been recorded.
inline size_t count_events(node::Node& node,
                           const std::function<bool(const observe::Event&)>& match) {
  size_t n = 0;
  for (const auto& e : node.events().read(0, 100000, INT64_MAX).events)
    if (match(e)) n += e.count;
  return n;
}

// This process's resident memory in KiB (the in-process victim's, plus the test's own).
inline size_t rss_kib() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  size_t kib = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmRSS: %zu kB", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

// Runs `fn` on the loop thread of `io` and returns its result (the loop must be running).
template <class F>
auto on_loop(asio::io_context& io, F fn) -> decltype(fn()) {
  std::promise<decltype(fn())> p;
  asio::post(io, [&] { p.set_value(fn()); });
  return p.get_future().get();
}

// Runs a coroutine on the loop of `io`; nothing if it did not finish within `timeout`.
template <class T>
std::optional<T> await_on_loop(asio::io_context& io, std::function<rt::awaitable<T>()> task,
                               std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<T>>();
  auto f = p->get_future();
  asio::co_spawn(
      io, [p, task]() -> rt::awaitable<void> { p->set_value(co_await task()); }, asio::detached);
  if (f.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return f.get();
}

}  // namespace agora::test
