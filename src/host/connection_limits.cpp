#include "host/connection_limits.h"

#include <string>

namespace agora {

static Error over(const char* name, size_t max) {
  return make_error(Errc::limit, std::string(name) + " reached (" + std::to_string(max) + ")");
}

Status ConnectionLimits::begin_inbound_handshake() {
  if (pending_inbound_ >= config_.pending_inbound_handshakes_max)
    return over("pending_inbound_handshakes_max", config_.pending_inbound_handshakes_max);
  if (connections_ + pending_inbound_ >= config_.connections_max)
    return over("connections_max", config_.connections_max);
  ++pending_inbound_;
  return {};
}

void ConnectionLimits::end_inbound_handshake() {
  if (pending_inbound_ > 0) --pending_inbound_;
}

Status ConnectionLimits::begin_dial() {
  if (pending_dials_ >= config_.pending_dials_max)
    return over("pending_dials_max", config_.pending_dials_max);
  if (connections_ + pending_dials_ >= config_.connections_max)
    return over("connections_max", config_.connections_max);
  ++pending_dials_;
  return {};
}

void ConnectionLimits::end_dial() {
  if (pending_dials_ > 0) --pending_dials_;
}

Status ConnectionLimits::add_connection(const PeerId& peer) {
  if (connections_ >= config_.connections_max)
    return over("connections_max", config_.connections_max);
  size_t& n = per_peer_[peer];
  if (n >= config_.connections_per_peer_max) {
    if (n == 0) per_peer_.erase(peer);
    return over("connections_per_peer_max", config_.connections_per_peer_max);
  }
  ++n;
  ++connections_;
  return {};
}

void ConnectionLimits::remove_connection(const PeerId& peer) {
  auto it = per_peer_.find(peer);
  if (it == per_peer_.end()) return;
  if (--it->second == 0) per_peer_.erase(it);
  --connections_;
}

size_t ConnectionLimits::connections_to(const PeerId& peer) const {
  auto it = per_peer_.find(peer);
  return it == per_peer_.end() ? 0 : it->second;
}

}  // namespace agora
