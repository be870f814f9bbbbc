// Admission control for connections, sans-I/O: the runtime asks before it spends anything.
//
// Global bounds: open connections, connections per peer, dials and inbound handshakes in flight.
// Fairness bounds: one remote host (IP) and one remote network (its /24 or /64, host/ip_group.h)
// get one share of the pending handshakes and of the inbound connections, however many identities
// or ports they use, so a flood from one source cannot lock everyone else out. Those checks run at
// accept time, before any Noise crypto.
//
// Inbound connections stop at connections_max - outbound_reserve, so the connections we choose to
// make (dials, bootstrap) always find room. When an authenticated inbound newcomer finds the
// inbound share full, it is not simply refused: the youngest unprotected inbound connection of the
// most represented network is trimmed to make room, unless the newcomer's own network is already
// the most represented one (then the newcomer is refused). A protected peer (bootstrap, pinned by
// the connection manager) always gets in while an unprotected inbound connection exists.
//
// Drive it: begin_inbound_handshake(source) when a TCP connection is accepted and
// end_inbound_handshake(source) when its handshake ends either way; begin_dial/end_dial around
// outgoing dials; add_connection once the peer is authenticated (it may name a connection to
// trim), remove_connection when a connection closes. Refusals are Errc::limit whose message starts
// with the limit's config name; limit_name() gives that name as a fixed label.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/result.h"
#include "base/time.h"
#include "codec/peer_id.h"
#include "host/ip_group.h"

namespace agora::host {

struct ConnectionLimitsConfig {
  size_t connections_max = 512;
  size_t connections_per_peer_max = 4;
  size_t pending_dials_max = 64;
  size_t pending_inbound_handshakes_max = 64;
  // Fairness per source (IP) and per network (/24 IPv4, /64 IPv6).
  size_t pending_inbound_handshakes_per_ip_max = 8;
  size_t pending_inbound_handshakes_per_group_max = 16;
  size_t inbound_connections_per_ip_max = 16;
  size_t inbound_connections_per_group_max = 48;
  // Kept for outbound connections: inbound ones stop at connections_max - outbound_reserve.
  size_t outbound_reserve = 32;
};

// Which limit refused something: fixed names for metric labels and events.
enum class LimitName {
  none,
  connections_max,
  inbound_connections_max,
  connections_per_peer_max,
  pending_dials_max,
  pending_inbound_handshakes_max,
  pending_inbound_handshakes_per_ip_max,
  pending_inbound_handshakes_per_group_max,
  inbound_connections_per_ip_max,
  inbound_connections_per_group_max,
};
const char* limit_name(LimitName name);

struct NewConnection {
  uint64_t id = 0;
  PeerId peer;
  bool inbound = false;
  std::optional<host::IpSource> source;  // inbound: the remote's IP and network
  Instant opened{};
};

// The outcome of add_connection: admitted, possibly at the cost of closing `trim`.
struct Admission {
  std::optional<uint64_t> trim;      // close this connection (its group is over-represented)
  std::string trim_group;            // the network it was trimmed from
  LimitName full = LimitName::none;  // the limit that was full
};

class ConnectionLimits {
 public:
  explicit ConnectionLimits(ConnectionLimitsConfig config) : config_(config) {}

  // Cheap checks at accept time. On success the caller must call end_inbound_handshake.
  Status begin_inbound_handshake(const std::optional<host::IpSource>& source);
  void end_inbound_handshake(const std::optional<host::IpSource>& source);
  Status begin_dial();
  void end_dial();
  // Called once the peer is authenticated. Errc::limit when refused. `is_protected` says which
  // peers must not be trimmed (asked only when room must be made).
  using ProtectedQuery = std::function<bool(const PeerId&)>;
  Result<Admission> add_connection(const NewConnection& conn, const ProtectedQuery& is_protected);
  void remove_connection(uint64_t id);

  // The limit behind the most recent refusal (typed, for metric labels and events).
  LimitName last_refusal() const { return last_refusal_; }

  size_t connections() const { return connections_.size(); }
  // Connections chosen as trims and not yet removed: the most connections() can exceed
  // connections_max by (each is a close in progress).
  size_t leaving() const { return leaving_; }
  size_t inbound_connections() const { return inbound_; }
  size_t connections_to(const PeerId& peer) const;
  size_t pending_dials() const { return pending_dials_; }
  size_t pending_inbound_handshakes() const { return pending_inbound_; }
  size_t inbound_connections_from_group(const std::string& group) const;
  size_t inbound_limit() const;
  const ConnectionLimitsConfig& config() const { return config_; }

 private:
  struct Open {
    PeerId peer;
    bool inbound = false;
    std::optional<host::IpSource> source;
    Instant opened{};
    bool leaving = false;  // chosen as a trim: counted until removed, never chosen again
  };
  Error refuse(LimitName name, size_t max);
  Result<Admission> make_room(const NewConnection& conn, LimitName full,
                              const ProtectedQuery& is_protected);

  ConnectionLimitsConfig config_;
  std::map<uint64_t, Open> connections_;
  size_t inbound_ = 0;
  size_t leaving_ = 0;
  size_t pending_dials_ = 0;
  size_t pending_inbound_ = 0;
  LimitName last_refusal_ = LimitName::none;
  std::map<PeerId, size_t> per_peer_;
  // Inbound connections and pending handshakes by IP and by network; entries at zero are erased.
  std::map<std::string, size_t> inbound_by_ip_, inbound_by_group_;
  std::map<std::string, size_t> pending_by_ip_, pending_by_group_;
};

}  // namespace agora::host
