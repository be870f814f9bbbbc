#include "node/perf_service.h"

namespace agora {

struct PerfService::Waiting {
  explicit Waiting(asio::any_io_executor ex) : waiter(ex) {}
  rt::Waiter waiter;
  std::optional<Result<PerfResult>> result;
};

PerfService::PerfService(rt::Swarm& swarm, rt::BehaviourHost& host, PerfServiceConfig config,
                         observe::Registry& metrics, observe::EventRecorder& events)
    : swarm_(swarm), host_(host), behaviour_(config), metrics_(metrics), events_(events) {}

PerfService::~PerfService() {
  host_.remove(behaviour_);
  for (auto& [id, w] : waiting_) {
    w->result = make_error(Errc::closed, "the node is stopping");
    w->waiter.notify();
  }
}

void PerfService::start() {
  host_.add(behaviour_, [this] { deliver(); });
}

// Refusals and stalls are counted by reason and recorded: a peer that asks for too much or stops
// reading shows up in `agora events` and the metrics.
void PerfService::deliver() {
  while (auto refusal = behaviour_.poll_refusal()) {
    metrics_
        .counter("agora_perf_streams_refused_total",
                 "perf streams reset: over the concurrency or size limit, or stalled",
                 {{"reason", refusal->reason}})
        .inc();
    observe::Event e;
    e.type = observe::EventType::stream_reset;
    e.peer = refusal->peer.to_string();
    e.addr = refusal->remote.to_string();
    e.direction = observe::Direction::inbound;
    e.protocol = kPerfProtocol;
    e.reason = refusal->reason;
    e.detail = refusal->detail;
    events_.record(std::move(e));
  }
  while (auto done = behaviour_.poll_result()) {
    auto it = waiting_.find(done->id);
    if (it == waiting_.end()) continue;
    it->second->result = std::move(done->result);
    it->second->waiter.notify();
    waiting_.erase(it);
  }
}

rt::awaitable<Result<PerfResult>> PerfService::run(std::shared_ptr<rt::Connection> conn,
                                                   uint64_t upload_bytes, uint64_t download_bytes) {
  auto id =
      behaviour_.run(conn->info().peer, conn->info().id, upload_bytes, download_bytes, rt::now());
  if (!id) co_return id.error();
  auto waiting = std::make_shared<Waiting>(swarm_.executor());
  waiting_[*id] = waiting;
  host_.wake(behaviour_);
  while (!waiting->result) co_await waiting->waiter.wait();
  co_return std::move(*waiting->result);
}

}  // namespace agora
