// Identify and identify/push for the node: behaviour::IdentifyBehaviour (the protocol, sans-I/O)
// driven by the node's BehaviourHost. This adapter supplies what we tell peers (our key, listen
// addresses, protocols, a signed peer record), records each answer as an event and passes it to
// the services that learn from it (connectivity, the DHT).
#pragma once

#include <map>

#include "behaviour/identify_behaviour.h"
#include "runtime/asio/behaviour_host.h"

namespace agora {

using behaviour::kIdentifyProtocol;
using behaviour::kIdentifyPushProtocol;
using identify::IdentifyInfo;
using identify::IdentifyLimits;

struct IdentifyServiceConfig {
  std::string agent_version;
  IdentifyLimits limits;
  size_t messages_per_stream_max = 10;  // js splits large identify replies into several messages
  size_t peers_max = 4096;              // identify results kept for peers we are not connected to
};

class IdentifyService {
 public:
  IdentifyService(rt::Swarm& swarm, rt::BehaviourHost& host, IdentifyServiceConfig config,
                  observe::EventRecorder& events);
  ~IdentifyService();

  // Serves both protocols and identifies every new connection.
  void start();
  // What we tell a peer; `observed` is how its connection looks from here.
  IdentifyInfo local_info(const std::optional<Multiaddr>& observed) const;
  // The last identify result for `peer`, if any.
  const IdentifyInfo* peer_info(const PeerId& peer) const { return behaviour_.peer_info(peer); }
  // Observers of each verified identify answer and each identify push (merged).
  using IdentifiedCallback = std::function<void(const PeerId&, const IdentifyInfo&)>;
  void on_identified(IdentifiedCallback callback) { on_identified_.push_back(std::move(callback)); }

 private:
  void deliver();

  rt::Swarm& swarm_;
  rt::BehaviourHost& host_;
  IdentifyServiceConfig config_;
  observe::EventRecorder& events_;
  uint64_t record_seq_;
  behaviour::IdentifyBehaviour behaviour_;
  std::vector<IdentifiedCallback> on_identified_;
};

}  // namespace agora
