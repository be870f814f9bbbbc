#include "node/identify_service.h"

#include "proto/identify/peer_record.h"

namespace agora {

using namespace identify;
using record::make_signed_peer_record;

namespace {
behaviour::IdentifyConfig behaviour_config(const IdentifyServiceConfig& c,
                                           const host::ProtocolLimits& stream_limits) {
  return {.limits = c.limits,
          .messages_per_stream_max = c.messages_per_stream_max,
          .peers_max = c.peers_max,
          .stream_limits = stream_limits};
}
}  // namespace

IdentifyService::IdentifyService(rt::Swarm& swarm, rt::BehaviourHost& host,
                                 IdentifyServiceConfig config, observe::EventRecorder& events)
    : swarm_(swarm),
      host_(host),
      config_(std::move(config)),
      events_(events),
      // Peer record sequence numbers must grow across restarts: wall-clock time does that.
      record_seq_(uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count())),
      behaviour_(behaviour_config(config_, swarm.default_protocol_limits()),
                 [this](const Multiaddr& observed) { return local_info(observed); }) {}

IdentifyService::~IdentifyService() { host_.remove(behaviour_); }

void IdentifyService::start() {
  host_.add(behaviour_, [this] { deliver(); });
}

IdentifyInfo IdentifyService::local_info(const std::optional<Multiaddr>& observed) const {
  IdentifyInfo info;
  info.agent_version = config_.agent_version;
  const auto& pub = swarm_.identity().public_key();
  info.public_key = encode_public_key({KeyType::ed25519, Bytes(pub.begin(), pub.end())});
  info.listen_addrs = swarm_.listen_addrs();
  info.protocols = swarm_.protocols();
  info.observed_addr = observed;
  info.signed_peer_record =
      make_signed_peer_record(swarm_.identity(), record_seq_, info.listen_addrs);
  return info;
}

// Each answer becomes an event (failed exchanges too: they say why a peer stays unknown) and
// reaches the observers.
void IdentifyService::deliver() {
  while (auto e = behaviour_.poll_event()) {
    observe::Event ev;
    ev.peer = e->peer.to_string();
    ev.addr = e->remote.to_string();
    if (!e->info) {
      ev.type = observe::EventType::handshake_failed;
      ev.protocol = e->push ? kIdentifyPushProtocol : kIdentifyProtocol;
      ev.reason = errc_name(e->info.error().code);
      ev.detail = "identify: " + e->info.error().message;
      events_.record(std::move(ev));
      continue;
    }
    if (!e->push) {
      ev.type = observe::EventType::peer_identified;
      ev.detail = e->info->agent_version;
      events_.record(std::move(ev));
    }
    for (auto& observer : on_identified_) observer(e->peer, *e->info);
  }
}

}  // namespace agora
