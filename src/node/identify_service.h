// Identify and identify/push: learn each peer's agent, protocols and addresses on connect, and
// answer the same questions about us.
#pragma once

#include <map>

#include "proto/identify/identify.h"
#include "runtime/asio/swarm.h"

namespace agora {

using identify::IdentifyInfo;
using identify::IdentifyLimits;

inline constexpr const char* kIdentifyProtocol = "/ipfs/id/1.0.0";
inline constexpr const char* kIdentifyPushProtocol = "/ipfs/id/push/1.0.0";

struct IdentifyServiceConfig {
  std::string agent_version;
  IdentifyLimits limits;
  size_t messages_per_stream_max = 10;  // js splits large identify replies into several messages
  size_t peers_max = 4096;              // identify results kept for peers we are not connected to
};

class IdentifyService {
 public:
  IdentifyService(rt::Swarm& swarm, IdentifyServiceConfig config, observe::EventRecorder& events);

  // Registers the stream handlers and identifies every new connection.
  void start();
  // What we tell a peer; `observed` is how its connection looks from here.
  IdentifyInfo local_info(const std::optional<Multiaddr>& observed) const;
  // The last identify result for `peer`, if any.
  const IdentifyInfo* peer_info(const PeerId& peer) const;
  // Observers of each verified identify answer and each identify push (merged).
  using IdentifiedCallback = std::function<void(const PeerId&, const IdentifyInfo&)>;
  void on_identified(IdentifiedCallback callback) { on_identified_.push_back(std::move(callback)); }

 private:
  rt::awaitable<void> identify_connection(std::shared_ptr<rt::Connection> conn);
  rt::awaitable<Result<IdentifyInfo>> read_identify(rt::Stream& stream);
  rt::awaitable<void> serve(std::shared_ptr<rt::Stream> stream);
  rt::awaitable<void> serve_push(std::shared_ptr<rt::Stream> stream);
  void remember(const PeerId& peer, IdentifyInfo info);

  rt::Swarm& swarm_;
  IdentifyServiceConfig config_;
  observe::EventRecorder& events_;
  uint64_t record_seq_;
  std::map<PeerId, IdentifyInfo> peers_;
  std::vector<IdentifiedCallback> on_identified_;
};

}  // namespace agora
