// Small helpers shared by the Asio runtime: non-throwing completion tokens and a wakeable waiter.
#pragma once

#include <asio.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <functional>
#include <memory>

#include "base/time.h"

namespace agora::rt {

// Completion token that returns (error_code, result...) instead of throwing.
inline constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

template <class T = void>
using awaitable = asio::awaitable<T>;

inline Instant now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
}

// A condition a coroutine can wait on and others can signal, on one thread. A timer that never
// expires on its own; notify() cancels the pending wait. Callers re-check their condition after
// waking, so a spurious wake is harmless and a notify with no waiter is simply dropped.
class Waiter {
 public:
  explicit Waiter(asio::any_io_executor ex) : timer_(ex) {}
  awaitable<void> wait() {
    timer_.expires_at(asio::steady_timer::time_point::max());
    co_await timer_.async_wait(use_nothrow);
  }
  // Waits at most `timeout`; returns false on timeout.
  awaitable<bool> wait_for(Duration timeout) {
    timer_.expires_after(timeout);
    auto [ec] = co_await timer_.async_wait(use_nothrow);
    co_return ec == asio::error::operation_aborted;
  }
  void notify() { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

// Calls `on_expiry` unless cancelled within `timeout`. Cancelling (or destroying) it guarantees
// the callback never runs, even if the timer had already fired and its handler is queued.
class Deadline {
 public:
  Deadline(asio::any_io_executor ex, Duration timeout, std::function<void()> on_expiry)
      : state_(std::make_shared<State>()), timer_(ex, timeout) {
    state_->on_expiry = std::move(on_expiry);
    timer_.async_wait([state = state_](asio::error_code ec) {
      if (ec || state->cancelled) return;
      state->expired = true;
      state->on_expiry();
    });
  }
  ~Deadline() { cancel(); }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;
  void cancel() {
    state_->cancelled = true;
    timer_.cancel();
  }
  bool expired() const { return state_->expired; }

 private:
  struct State {
    bool cancelled = false;
    bool expired = false;
    std::function<void()> on_expiry;
  };
  std::shared_ptr<State> state_;
  asio::steady_timer timer_;
};

}  // namespace agora::rt
