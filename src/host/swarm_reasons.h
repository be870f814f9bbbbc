// Typed reasons for what the swarm refuses and why connections close. Each enum value has a fixed
// name (label()) that becomes a metric label and an event field, so no caller parses messages to
// learn why something happened. The free-form detail travels beside the enum, for people.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace agora::host {

enum class Direction : uint8_t { inbound, outbound };
const char* label(Direction d);

// The resource scope whose limit refused something (go-libp2p's resource-manager scopes, plus the
// per-source scopes of admission).
enum class Scope : uint8_t {
  none,           // not a limit: a policy refusal (banned, ourselves, unknown protocol)
  system,         // the whole node
  protocol,       // one protocol, all peers together
  peer,           // one peer, all protocols together
  peer_protocol,  // one protocol on one peer
  ip,             // one remote IP address
  network,        // one remote /24 (IPv4) or /64 (IPv6)
};
const char* label(Scope s);

enum class RefusalReason : uint8_t {
  limit,             // a resource limit; Refusal::limit names it
  banned,            // the peer is banned for misbehaving
  self_dial,         // the address is our own peer id
  unknown_protocol,  // no behaviour serves the protocol
  not_connected,     // the connection is gone or unknown
  no_address,        // nothing dialable was given
  shutting_down,
};
const char* label(RefusalReason r);

// Why a connection was closed. Runtimes map socket and protocol failures onto these.
enum class CloseReason : uint8_t {
  shutdown,        // this node is stopping
  requested,       // an operator or a behaviour asked (disconnect)
  banned,          // the peer was banned
  admission_trim,  // made room for a newcomer from a less represented network
  manager_trim,    // the connection manager trimmed it (over the high watermark)
  remote_closed,   // the peer closed it cleanly
  protocol_error,  // the peer broke a protocol's rules (yamux, noise)
  limit,           // the peer pushed past a per-connection limit
  timeout,         // keep-alive or handshake deadline
  io_error,        // the socket failed
};
const char* label(CloseReason r);
// The close reason for an error the runtime saw on a connection.
CloseReason close_reason_of(Errc code);

struct Refusal {
  RefusalReason reason = RefusalReason::limit;
  Scope scope = Scope::none;
  const char* limit = "";  // the config name of the limit (a fixed label); "" unless a limit
  std::string detail;      // for the error message and the event, not for parsing

  // Errc::limit for limits and bans, Errc::invalid_input for self dials and missing addresses,
  // Errc::unsupported for unknown protocols, Errc::closed otherwise.
  Error to_error() const;
};

}  // namespace agora::host
