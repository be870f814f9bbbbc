// Admission control for connections: how many are open in total and per peer, and how many dials
// and inbound handshakes are in flight. Sans-I/O: the runtime asks before it spends anything.
#pragma once

#include <cstddef>
#include <map>

#include "base/result.h"
#include "codec/peer_id.h"

namespace agora {

struct ConnectionLimitsConfig {
  size_t connections_max = 512;
  size_t connections_per_peer_max = 4;
  size_t pending_dials_max = 64;
  size_t pending_inbound_handshakes_max = 64;
};

class ConnectionLimits {
 public:
  explicit ConnectionLimits(ConnectionLimitsConfig config) : config_(config) {}

  // Errc::limit with a message naming the limit; on success the caller must call the matching end.
  Status begin_inbound_handshake();
  void end_inbound_handshake();
  Status begin_dial();
  void end_dial();
  // Called once the peer is authenticated.
  Status add_connection(const PeerId& peer);
  void remove_connection(const PeerId& peer);

  size_t connections() const { return connections_; }
  size_t connections_to(const PeerId& peer) const;
  size_t pending_dials() const { return pending_dials_; }
  size_t pending_inbound_handshakes() const { return pending_inbound_; }
  const ConnectionLimitsConfig& config() const { return config_; }

 private:
  ConnectionLimitsConfig config_;
  size_t connections_ = 0;
  size_t pending_dials_ = 0;
  size_t pending_inbound_ = 0;
  std::map<PeerId, size_t> per_peer_;
};

}  // namespace agora
