// host::Swarm, sans-I/O: the policy of the swarm, with no sockets, no crypto and no clock. A
// runtime (runtime/asio) owns the sockets and the handshakes and asks this core before it spends
// anything; the simulator can drive the same core under virtual time.
//
// What it owns:
// - the connection table (id, peer, direction, remote address) and the streams on each connection;
// - admission: ConnectionLimits (global, per peer, per remote IP and network) at accept time and
//   once the peer is authenticated, and the peer bans;
// - dials: one dial per peer at a time (a second request for the same peer joins the first),
//   addresses ranked best first (loopback, private, public; out of backoff before in backoff),
//   and a backoff per address after a failed dial that doubles per failure;
// - the resource manager (host/resource_manager.h): every stream, and the bytes a runtime buffers
//   for it (queued output, a message being assembled, a read buffer), is charged to the system, its
//   protocol, its peer and the pair; a protocol nobody registered is refused; what a stream still
//   holds when it closes is released then;
// - idle timeouts per protocol: a stream that shows no activity for its protocol's idle_timeout is
//   reset (poll_action);
// - typed reasons (host/swarm_reasons.h) for every refusal and close, counted in stats().
//
// Bounds: connections by ConnectionLimitsConfig; streams by ResourceManagerConfig; bans by
// bans_max; address backoff entries by backoff_addrs_max (the one expiring first goes); dials in
// flight by pending_dials_max and their joiners by dial_joins_max; queued actions and events by
// queue_max (past it the oldest event is dropped and counted; actions are never dropped, and
// there is at most one per stream or connection).
//
// Drive it: the runtime reports what happened (on_*, each with `now`) and then drains
// poll_action() (close this connection, reset this stream) and poll_event() (record this). It
// calls on_timer(now) when next_timer() is due.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "base/time.h"
#include "codec/multiaddr.h"
#include "codec/peer_id.h"
#include "host/connection_limits.h"
#include "host/peer_bans.h"
#include "host/resource_manager.h"
#include "host/swarm_reasons.h"

namespace agora::host {

using ConnectionId = uint64_t;
using DialId = uint64_t;

struct SwarmConfig {
  ConnectionLimitsConfig limits;
  ResourceManagerConfig resources;
  size_t bans_max = 4096;
  size_t dial_joins_max = 64;  // requests waiting on one peer's dial
  Duration dial_backoff_min = std::chrono::seconds(5);
  Duration dial_backoff_max = std::chrono::minutes(5);
  size_t backoff_addrs_max = 4096;
  size_t queue_max = 4096;  // events waiting for poll_event
};

struct ProtocolConfig {
  ProtocolLimits limits;
  // A stream of this protocol with no activity for this long is reset; zero: never.
  Duration idle_timeout{0};
};

struct CloseConnection {
  ConnectionId connection = 0;
  CloseReason reason = CloseReason::requested;
  std::string detail;
};
struct ResetStream {
  ConnectionId connection = 0;
  uint64_t stream = 0;
  std::string detail;
};
using SwarmAction = std::variant<CloseConnection, ResetStream>;

struct SwarmEvent {
  enum class Type { connection_opened, connection_closed, refused, dial_failed, stream_idle };
  Type type = Type::refused;
  ConnectionId connection = 0;
  std::optional<PeerId> peer;
  Direction direction = Direction::inbound;
  std::string addr;
  std::string protocol;
  CloseReason close = CloseReason::requested;  // connection_closed
  Refusal refusal;                             // refused
  std::string detail;
};

// What dial() decided.
struct DialPlan {
  enum class Kind { connected, start, join };
  Kind kind = Kind::start;
  ConnectionId connection = 0;   // connected: use this one
  DialId dial = 0;               // start: report on_dial_finished; join: wait for this dial
  std::vector<Multiaddr> addrs;  // start: best first
};

struct Admitted {
  std::optional<ConnectionId> trim;  // close this one (CloseReason::admission_trim) to make room
  std::string trim_detail;
};

struct SwarmStats {
  uint64_t connections_opened = 0;
  uint64_t dials_started = 0;
  uint64_t dials_joined = 0;
  uint64_t dials_failed = 0;
  uint64_t streams_opened = 0;
  uint64_t streams_idle_reset = 0;
  uint64_t events_dropped = 0;
  std::map<std::pair<Scope, std::string>, uint64_t> refusals;  // (scope, limit or reason)
  std::map<CloseReason, uint64_t> closes;
};

class Swarm {
 public:
  Swarm(PeerId local, SwarmConfig config);

  const PeerId& local_peer() const { return local_; }
  // Registers a protocol with its limits. Errc::limit past the resource manager's protocols_max.
  Status add_protocol(const std::string& protocol, ProtocolConfig config);
  std::vector<std::string> protocols() const;

  // --- Inbound: at accept, before any crypto; on_inbound_ended whenever the handshake ends.
  std::optional<Refusal> on_inbound_accepted(const std::optional<IpSource>& source, Instant now);
  void on_inbound_ended(const std::optional<IpSource>& source);

  // --- Dials. With a peer: connected, join, or start. Without one (a bare address): start.
  std::variant<DialPlan, Refusal> dial(const std::optional<PeerId>& peer,
                                       std::vector<Multiaddr> addrs, Instant now);
  // The dial `id` ended; `failed` lists the addresses that did not answer (they back off).
  void on_dial_finished(DialId id, const std::vector<Multiaddr>& failed, bool connected,
                        Instant now);
  std::vector<Multiaddr> rank_addresses(std::vector<Multiaddr> addrs, Instant now) const;
  std::optional<Instant> backoff_until(const Multiaddr& addr, Instant now) const;

  // --- Connections, once the handshake proved the peer. Refused: banned, or a limit.
  std::variant<Admitted, Refusal> on_secured(ConnectionId id, const PeerId& peer, Direction dir,
                                             const Multiaddr& remote, Instant now,
                                             const ConnectionLimits::ProtectedQuery& is_protected);
  void on_connection_closed(ConnectionId id, CloseReason reason, const std::string& detail,
                            Instant now);
  // Queues a close of every connection to `peer`; returns how many.
  size_t disconnect(const PeerId& peer, CloseReason reason, const std::string& detail);
  void ban(const PeerId& peer, Duration how_long, const std::string& why, Instant now);
  std::optional<std::string> banned(const PeerId& peer, Instant now) {
    return bans_.banned(peer, now);
  }

  // --- Streams, once their protocol is negotiated. Refused: unknown protocol or a limit.
  std::optional<Refusal> on_stream_opened(ConnectionId conn, uint64_t stream,
                                          const std::string& protocol, Direction dir, Instant now);
  void on_stream_activity(ConnectionId conn, uint64_t stream, Instant now);
  void on_stream_closed(ConnectionId conn, uint64_t stream);
  // Bytes buffered for an open stream. Refused (counted, recorded) past a memory limit of any of
  // its scopes, or when the stream is not open; the runtime then resets the stream. Releasing
  // more than the stream holds releases what it holds; a closed stream holds nothing.
  std::optional<Refusal> reserve_stream_memory(ConnectionId conn, uint64_t stream, size_t bytes);
  void release_stream_memory(ConnectionId conn, uint64_t stream, size_t bytes);
  size_t stream_memory(ConnectionId conn, uint64_t stream) const;
  std::string stream_protocol(ConnectionId conn, uint64_t stream) const;  // "" when not open

  void on_timer(Instant now);
  std::optional<Instant> next_timer() const;
  std::optional<SwarmAction> poll_action();
  std::optional<SwarmEvent> poll_event();

  std::optional<ConnectionId> connection_to(const PeerId& peer) const;
  size_t connections() const { return connections_.size(); }
  size_t streams() const { return streams_.size(); }
  size_t dials_in_flight() const { return dials_.size(); }
  size_t backoff_entries() const { return backoff_.size(); }
  size_t queued_events() const { return events_.size(); }
  const ConnectionLimits& limits() const { return limits_; }
  const ResourceManager& resources() const { return resources_; }
  const SwarmStats& stats() const { return stats_; }
  const SwarmConfig& config() const { return config_; }

 private:
  struct Conn {
    PeerId peer;
    Direction direction;
    Multiaddr remote;
    bool closing = false;
  };
  struct OpenStream {
    PeerId peer;
    std::string protocol;
    Direction direction;
    Instant last_activity;
    size_t memory_bytes = 0;  // reserved for it and not yet released
  };
  struct Dial {
    std::optional<PeerId> peer;
    size_t joined = 0;
  };
  struct Backoff {
    Instant until;
    unsigned failures = 0;
  };
  using StreamKey = std::pair<ConnectionId, uint64_t>;

  Refusal refuse(Refusal r, std::optional<PeerId> peer, std::string addr, Direction dir,
                 std::string protocol = {});
  Refusal limit_refusal(const Error& e) const;
  void push_event(SwarmEvent e);
  void note_failure(const Multiaddr& addr, Instant now);
  void close_streams_of(ConnectionId conn);
  void release_all(const OpenStream& s);

  PeerId local_;
  SwarmConfig config_;
  ConnectionLimits limits_;
  PeerBans bans_;
  ResourceManager resources_;
  std::map<std::string, ProtocolConfig, std::less<>> protocols_;
  std::map<ConnectionId, Conn> connections_;
  std::map<StreamKey, OpenStream> streams_;
  std::map<DialId, Dial> dials_;
  std::map<PeerId, DialId> dial_by_peer_;
  std::map<Bytes, Backoff> backoff_;  // by binary multiaddr
  DialId next_dial_ = 1;
  std::deque<SwarmAction> actions_;
  std::set<ConnectionId> close_queued_;
  std::set<StreamKey> reset_queued_;
  std::deque<SwarmEvent> events_;
  SwarmStats stats_;
};

}  // namespace agora::host
