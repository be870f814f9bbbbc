// Callers waiting for a behaviour's answer to their command (a ping, a perf run), keyed by the id
// the command returned: the adapter registers the id and wakes the host; the caller's coroutine
// resumes once deliver() hands it the result. Bounded by the behaviour's own bound on commands in
// flight: each id is registered once and forgotten when answered or failed. One thread, as the
// host it serves.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "runtime/asio/asio_util.h"

namespace agora::rt {

template <class T>
class AwaitedResults {
 public:
  explicit AwaitedResults(asio::any_io_executor executor) : executor_(std::move(executor)) {}

  // Registers `id`, runs `start` (which may deliver the result at once) and waits for it. Touches
  // nothing of this object once the result is in, so it may resume after fail_all().
  awaitable<T> wait_for(uint64_t id, std::function<void()> start) {
    auto slot = std::make_shared<Slot>(executor_);
    slots_[id] = slot;
    start();
    while (!slot->result) co_await slot->waiter.wait();
    co_return std::move(*slot->result);
  }

  // No caller waits for an id it does not know: its result is dropped.
  void deliver(uint64_t id, T result) {
    auto it = slots_.find(id);
    if (it == slots_.end()) return;
    it->second->result = std::move(result);
    it->second->waiter.notify();
    slots_.erase(it);
  }

  // Every waiting caller gets `result` (the owner is stopping).
  void fail_all(const T& result) {
    for (auto& [id, slot] : slots_) {
      slot->result = result;
      slot->waiter.notify();
    }
    slots_.clear();
  }

 private:
  struct Slot {
    explicit Slot(asio::any_io_executor ex) : waiter(std::move(ex)) {}
    Waiter waiter;
    std::optional<T> result;
  };
  asio::any_io_executor executor_;
  std::map<uint64_t, std::shared_ptr<Slot>> slots_;
};

}  // namespace agora::rt
