// AutoNAT v1 (`/libp2p/autonat/1.0.0`) on the node: behaviour::AutonatBehaviour driven by the
// node's BehaviourHost. Serving (on unless [swarm] autonat_serve = false): a peer may ask this
// node to dial it back, under the behaviour's rules (only at the request's IP, rate-limited);
// each answer is counted in agora_autonat_served_total{status}. Asking: ask() has one connected
// peer dial this node back at the addresses it listens on, as seen over that connection, and
// counts the outcome in agora_autonat_asked_total{status} (a status, or "failed" when the peer
// gave no answer: it does not speak the protocol, it reset the stream, a timeout).
#pragma once

#include "behaviour/autonat_behaviour.h"
#include "observe/metrics.h"
#include "runtime/asio/awaited_results.h"
#include "runtime/asio/behaviour_host.h"

namespace agora {

class AutonatService {
 public:
  AutonatService(rt::Swarm& swarm, rt::BehaviourHost& host, behaviour::AutonatConfig config,
                 observe::Registry& metrics);
  ~AutonatService();
  void start();
  // Asks the connection's peer to dial this node back. The answer's status says what it found.
  rt::awaitable<Result<autonat::DialResponse>> ask(std::shared_ptr<rt::Connection> conn);

 private:
  void deliver();
  // Where this node may be dialled, as the peer of `conn` would: each listen address, with an
  // unspecified IP (0.0.0.0, ::) replaced by this side's IP of the connection.
  std::vector<Multiaddr> dial_back_targets(const rt::Connection& conn) const;

  rt::Swarm& swarm_;
  rt::BehaviourHost& host_;
  observe::Registry& metrics_;
  behaviour::AutonatBehaviour behaviour_;
  rt::AwaitedResults<Result<autonat::DialResponse>> waiting_;
};

}  // namespace agora
