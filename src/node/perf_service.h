// /perf/1.0.0 for the node: behaviour::PerfBehaviour (the protocol on the byte-stream path,
// sans-I/O, with its bounds) driven by the node's BehaviourHost. This adapter turns a run's result
// into an awaitable for callers, and each refused or stalled stream into a metric
// (agora_perf_streams_refused_total{reason}) and a stream_reset event.
#pragma once

#include "behaviour/perf_behaviour.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "runtime/asio/awaited_results.h"
#include "runtime/asio/behaviour_host.h"

namespace agora {

using behaviour::kPerfProtocol;
using behaviour::PerfResult;
using PerfServiceConfig = behaviour::PerfConfig;

class PerfService {
 public:
  PerfService(rt::Swarm& swarm, rt::BehaviourHost& host, PerfServiceConfig config,
              observe::Registry& metrics, observe::EventRecorder& events);
  ~PerfService();
  void start();
  rt::awaitable<Result<PerfResult>> run(std::shared_ptr<rt::Connection> conn, uint64_t upload_bytes,
                                        uint64_t download_bytes);

 private:
  void deliver();

  rt::BehaviourHost& host_;
  behaviour::PerfBehaviour behaviour_;
  observe::Registry& metrics_;
  observe::EventRecorder& events_;
  rt::AwaitedResults<Result<PerfResult>> waiting_;
};

}  // namespace agora
