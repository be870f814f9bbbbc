// /ipfs/ping/1.0.0 for the node: behaviour::PingBehaviour (the protocol, sans-I/O) driven by the
// node's BehaviourHost. This adapter only turns a ping's result into an awaitable for callers.
#pragma once

#include "behaviour/ping_behaviour.h"
#include "runtime/asio/awaited_results.h"
#include "runtime/asio/behaviour_host.h"

namespace agora {

using behaviour::kPingPayloadBytes;
using behaviour::kPingProtocol;
using PingServiceConfig = behaviour::PingConfig;

class PingService {
 public:
  PingService(rt::Swarm& swarm, rt::BehaviourHost& host, PingServiceConfig config);
  ~PingService();
  void start();
  // Round-trip times of `count` pings on one stream to the connection's peer.
  rt::awaitable<Result<std::vector<Duration>>> ping(std::shared_ptr<rt::Connection> conn,
                                                    int count);

 private:
  void deliver();

  rt::BehaviourHost& host_;
  behaviour::PingBehaviour behaviour_;
  rt::AwaitedResults<Result<std::vector<Duration>>> waiting_;
};

}  // namespace agora
