#include "node/ping_service.h"

#include "crypto/random.h"

namespace agora {

PingService::PingService(rt::Swarm& swarm, rt::BehaviourHost& host, PingServiceConfig config)
    : host_(host),
      behaviour_(config,
                 [](std::span<uint8_t> out) { crypto::random_bytes(out.data(), out.size()); }),
      waiting_(swarm.executor()) {}

PingService::~PingService() {
  host_.remove(behaviour_);
  waiting_.fail_all(make_error(Errc::closed, "the node is stopping"));
}

void PingService::start() {
  host_.add(behaviour_, [this] { deliver(); });
}

void PingService::deliver() {
  while (auto r = behaviour_.poll_result()) waiting_.deliver(r->id, std::move(r->rtts));
}

rt::awaitable<Result<std::vector<Duration>>> PingService::ping(std::shared_ptr<rt::Connection> conn,
                                                               int count) {
  auto id = behaviour_.ping(conn->info().peer, count, rt::now());
  if (!id) co_return id.error();
  co_return co_await waiting_.wait_for(*id, [this] { host_.wake(behaviour_); });
}

}  // namespace agora
