// Helpers shared by the in-process node tests: polling for a condition, and reading a metric.
#pragma once

#include <chrono>
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
inline double metric(Node& node, const std::string& series) {
  std::string text = node.metrics().render_prometheus();
  size_t pos = 0;
  while ((pos = text.find(series + " ", pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') return std::stod(text.substr(pos + series.size() + 1));
    pos += series.size();
  }
  return 0;
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
