#include "node/perf_service.h"

namespace agora {

PerfService::PerfService(rt::Swarm& swarm, rt::BehaviourHost& host, PerfServiceConfig config,
                         observe::Registry& metrics, observe::EventRecorder& events)
    : host_(host),
      behaviour_(config),
      metrics_(metrics),
      events_(events),
      waiting_(swarm.executor()) {}

PerfService::~PerfService() {
  host_.remove(behaviour_);
  waiting_.fail_all(make_error(Errc::closed, "the node is stopping"));
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
  while (auto done = behaviour_.poll_result()) waiting_.deliver(done->id, std::move(done->result));
}

rt::awaitable<Result<PerfResult>> PerfService::run(std::shared_ptr<rt::Connection> conn,
                                                   uint64_t upload_bytes, uint64_t download_bytes) {
  auto id =
      behaviour_.run(conn->info().peer, conn->info().id, upload_bytes, download_bytes, rt::now());
  if (!id) co_return id.error();
  co_return co_await waiting_.wait_for(*id, [this] { host_.wake(behaviour_); });
}

}  // namespace agora
