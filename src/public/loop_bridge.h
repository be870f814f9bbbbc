// The one bridge between a caller's thread and a node's event loop. call() runs a coroutine on the
// loop and blocks the caller until it ends; stream() does the same while handing the items the
// coroutine reports (fetch progress, lookup steps) to the caller's thread as they come, through a
// bounded mailbox: the loop never waits for a slow consumer, and when the mailbox is full the
// newest item is overwritten (items are totals or steps; the last one always arrives).
// So an operation crosses exactly two threads: the caller's and the loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>

#include "base/result.h"
#include "runtime/asio/asio_util.h"

namespace agora {

// Items handed from the loop to one consumer; at most `items_max` wait.
template <class Item>
class Mailbox {
 public:
  explicit Mailbox(size_t items_max) : items_max_(items_max) {}

  // On the loop: never blocks.
  void push(Item item) {
    std::lock_guard lock(mu_);
    if (items_.size() >= items_max_) {
      items_.back() = std::move(item);
      ++overwritten_;
    } else {
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_one();
  }
  // On the consumer: hands each item to `consume` until close() and the mailbox is empty; while
  // nothing comes, calls `idle` every `idle_every` (a caller may check on its own client then).
  void drain(const std::function<void(const Item&)>& consume,
             const std::function<void()>& idle = {},
             std::chrono::milliseconds idle_every = std::chrono::milliseconds(250)) {
    for (;;) {
      std::deque<Item> ready;
      bool closed = false;
      bool woken = true;
      {
        std::unique_lock lock(mu_);
        auto has_news = [&] { return closed_ || !items_.empty(); };
        if (idle) {
          woken = cv_.wait_for(lock, idle_every, has_news);
        } else {
          cv_.wait(lock, has_news);
        }
        ready.swap(items_);
        closed = closed_;
      }
      if (!woken) idle();
      for (const Item& item : ready) consume(item);
      if (closed && ready.empty()) return;
    }
  }
  uint64_t overwritten() const {
    std::lock_guard lock(mu_);
    return overwritten_;
  }

 private:
  const size_t items_max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
  uint64_t overwritten_ = 0;
  bool closed_ = false;
};

// Runs `task` on the loop and waits for it. (Result<T> has no default constructor, which
// co_spawn's completion handler would need, so the promise is set inside the coroutine.) An
// exception inside the task becomes Errc::internal, so T must be constructible from an Error.
template <class T>
T call_on_loop(asio::io_context& io, std::function<rt::awaitable<T>()> task) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  asio::co_spawn(
      io,
      [promise, task = std::move(task)]() -> rt::awaitable<void> {
        promise->set_value(co_await task());
      },
      [promise](std::exception_ptr e) {
        if (e) promise->set_value(make_error(Errc::internal, "request failed inside the node"));
      });
  return future.get();
}

// Runs plain `fn` on the loop (node state is only touched there) and waits for its value.
template <class T>
T run_on_loop(asio::io_context& io, std::function<T()> fn) {
  std::packaged_task<T()> task(std::move(fn));
  auto future = task.get_future();
  asio::post(io, [&task] { task(); });
  return future.get();
}

// call_on_loop, while the task's reports reach `consume` on the calling thread (and `idle` runs
// there every quarter second that brings none).
template <class T, class Item>
T stream_from_loop(asio::io_context& io, size_t items_max,
                   std::function<rt::awaitable<T>(std::shared_ptr<Mailbox<Item>>)> task,
                   const std::function<void(const Item&)>& consume,
                   const std::function<void()>& idle = {}) {
  auto mailbox = std::make_shared<Mailbox<Item>>(items_max);
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  asio::co_spawn(
      io,
      [promise, mailbox, task = std::move(task)]() -> rt::awaitable<void> {
        promise->set_value(co_await task(mailbox));
        mailbox->close();
      },
      [promise, mailbox](std::exception_ptr e) {
        if (!e) return;
        promise->set_value(make_error(Errc::internal, "request failed inside the node"));
        mailbox->close();
      });
  mailbox->drain(consume, idle);
  return future.get();
}

}  // namespace agora
