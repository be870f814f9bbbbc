#include "node/ping_service.h"

#include "crypto/random.h"

namespace agora {

struct PingService::Waiting {
  explicit Waiting(asio::any_io_executor ex) : waiter(ex) {}
  rt::Waiter waiter;
  std::optional<Result<std::vector<Duration>>> result;
};

PingService::PingService(rt::Swarm& swarm, rt::BehaviourHost& host, PingServiceConfig config)
    : swarm_(swarm), host_(host), behaviour_(config, [](std::span<uint8_t> out) {
        crypto::random_bytes(out.data(), out.size());
      }) {}

PingService::~PingService() {
  host_.remove(behaviour_);
  for (auto& [id, w] : waiting_) {
    w->result = make_error(Errc::closed, "the node is stopping");
    w->waiter.notify();
  }
}

void PingService::start() {
  host_.add(behaviour_, [this] { deliver(); });
}

void PingService::deliver() {
  while (auto r = behaviour_.poll_result()) {
    auto it = waiting_.find(r->id);
    if (it == waiting_.end()) continue;
    it->second->result = std::move(r->rtts);
    it->second->waiter.notify();
    waiting_.erase(it);
  }
}

rt::awaitable<Result<std::vector<Duration>>> PingService::ping(std::shared_ptr<rt::Connection> conn,
                                                               int count) {
  auto id = behaviour_.ping(conn->info().peer, count, rt::now());
  if (!id) co_return id.error();
  auto waiting = std::make_shared<Waiting>(swarm_.executor());
  waiting_[*id] = waiting;
  host_.wake(behaviour_);
  while (!waiting->result) co_await waiting->waiter.wait();
  co_return std::move(*waiting->result);
}

}  // namespace agora
