// The swarm's runtime: listeners, sockets, Noise and yamux, and the protocol handlers. Policy
// (the connection table, one dial per peer, address ranking and backoff, bans, admission, the
// resource manager's stream scopes, typed close and refusal reasons) is host::Swarm's
// (host/swarm.h): this class reports what happened to it, asks it before spending anything and
// carries out what it polls (close a connection, reset a stream).
//
// Every stream is charged to the resource manager once its protocol is negotiated (inbound and
// outbound) and refunded when the Stream object is destroyed; a refused stream is reset (inbound)
// or returned as an Errc::limit error (outbound). Runs on one io_context thread; every method
// must be called from that thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "host/connection_limits.h"
#include "host/swarm.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "proto/pnet/pnet_protector.h"
#include "runtime/asio/connection.h"

namespace agora::rt {

struct SwarmConfig {
  host::ConnectionLimitsConfig limits;
  host::ResourceManagerConfig resources;
  // Limits of a protocol registered without its own (set_handler's default, outbound-only
  // protocols). Generous per peer: the services keep their own tighter caps on inbound streams.
  // Across peers as wide as the system scope: a protocol-wide cap below what the per-peer caps
  // allow over every connection would let a few hundred peers holding their share (bitswap keeps
  // a long-lived stream per peer) refuse the protocol to everyone else.
  host::ProtocolLimits protocol_limits{
      .all_peers = {.streams_inbound_max = 8192,
                    .streams_outbound_max = 8192,
                    .memory_bytes_max = size_t(1) << 30},
      .per_peer = {
          .streams_inbound_max = 64, .streams_outbound_max = 64, .memory_bytes_max = 4u << 20}};
  size_t dial_joins_max = 64;  // callers waiting on one peer's dial in flight
  size_t probes_max = 8;       // probe() calls at once (AutoNAT's dial-backs)
  Duration dial_backoff_min = std::chrono::seconds(5);  // after a failed address; doubles
  Duration dial_backoff_max = std::chrono::minutes(5);
  yamux::YamuxConfig yamux;
  Duration dial_timeout = std::chrono::seconds(10);
  Duration handshake_timeout = std::chrono::seconds(10);
  // An inbound connection must send its first bytes within this, or it is closed before any
  // handshake work: silent connections cannot hold the pending-handshake slots for long.
  Duration first_bytes_timeout = std::chrono::seconds(3);
  Duration protocol_negotiation_timeout = std::chrono::seconds(10);
  bool inline_muxer = true;
  // A private network's pre-shared key (swarm.key): every connection, both ways, goes through the
  // pnet protector, and peers without the key are refused before multistream-select.
  std::optional<pnet::PreSharedKey> psk;
  // Bandwidth in bytes per second (0: no limit): all connections together, and each.
  uint64_t upload_bytes_per_s = 0;
  uint64_t download_bytes_per_s = 0;
  uint64_t upload_bytes_per_s_per_connection = 0;
  uint64_t download_bytes_per_s_per_connection = 0;
};

class Swarm {
 public:
  using StreamHandler = std::function<awaitable<void>(std::shared_ptr<Stream>)>;
  using ConnectionCallback = std::function<void(const std::shared_ptr<Connection>&)>;
  using ClosedCallback = std::function<void(Connection&, const Error& reason)>;

  Swarm(asio::any_io_executor executor, crypto::Ed25519PrivateKey identity, SwarmConfig config,
        observe::Registry& metrics, observe::EventRecorder& events);
  ~Swarm();

  const PeerId& local_peer() const { return local_peer_; }
  asio::any_io_executor executor() const { return executor_; }
  const crypto::Ed25519PrivateKey& identity() const { return identity_; }

  // Binds a /ip4|ip6/.../tcp/PORT address (port 0 picks one) and starts accepting.
  Status listen(const Multiaddr& addr);
  std::vector<Multiaddr> listen_addrs() const;

  // Reuses an open connection to the peer named in `addr`, else dials. A /p2p/ suffix is verified.
  awaitable<Result<std::shared_ptr<Connection>>> dial(Multiaddr addr);
  // One dial per peer: an open connection is reused, a dial in flight is joined (its result is
  // ours), else `addrs` are tried best first (host::Swarm::rank_addresses) until one connects.
  awaitable<Result<std::shared_ptr<Connection>>> dial_peer(PeerId peer,
                                                           std::vector<Multiaddr> addrs);
  // Dials `peer` at each of `addrs` in turn on a connection of its own, checks who answers in the
  // secure handshake and closes it: the address that answered, or why none did. The connection
  // is never registered (no observer hears of it, nothing reuses it, admission does not count
  // it). At most SwarmConfig::probes_max at once: Errc::limit past it.
  awaitable<Result<Multiaddr>> probe(PeerId peer, std::vector<Multiaddr> addrs);
  // Opens a stream on the connection and negotiates one of `protocols`.
  awaitable<Result<std::shared_ptr<Stream>>> open_stream(std::shared_ptr<Connection> conn,
                                                         std::vector<std::string> protocols);

  // Serves `protocol`; its streams are charged to the resource manager under `limits` (none
  // given: SwarmConfig::protocol_limits). A stream of it with no activity for `idle_timeout` is
  // reset (zero: never); activity is what note_stream_activity reports.
  void set_handler(const std::string& protocol, StreamHandler handler,
                   std::optional<host::ProtocolLimits> limits = std::nullopt,
                   Duration idle_timeout = Duration::zero());
  // A protocol we only open (never serve), charged under `limits`. Outbound-only protocols not
  // declared are charged under SwarmConfig::protocol_limits when first opened.
  void add_outbound_protocol(const std::string& protocol, const host::ProtocolLimits& limits,
                             Duration idle_timeout = Duration::zero());
  // Bytes moved on a stream (for idle timeouts; a no-op while no protocol has one).
  void note_stream_activity(uint64_t connection, uint64_t stream);
  // Bytes buffered for a stream (queued output, a message being assembled, a read buffer),
  // charged to the resource manager's scopes. A refusal is counted and recorded (limit_hit); the
  // caller then resets the stream. What a stream holds is released when it is destroyed.
  std::optional<host::Refusal> reserve_stream_memory(uint64_t connection, uint64_t stream,
                                                     size_t bytes);
  void release_stream_memory(uint64_t connection, uint64_t stream, size_t bytes);
  const host::ResourceManager& resources() const;
  std::vector<std::string> protocols() const;
  // Observers of new secured connections and of closed ones; each service adds its own.
  void on_connection(ConnectionCallback callback) { on_connection_.push_back(std::move(callback)); }
  void on_connection_closed(ClosedCallback callback) { on_closed_.push_back(std::move(callback)); }

  std::vector<std::shared_ptr<Connection>> connections() const;
  std::shared_ptr<Connection> connection_to(const PeerId& peer) const;
  // The open connection with this id, if any.
  std::shared_ptr<Connection> connection(uint64_t id) const;
  // Closes one connection, recording `cause` as why (metrics, events).
  // False when it is gone or already closing.
  bool close_connection(uint64_t id, host::CloseReason cause, const std::string& detail);
  // Closes every connection to `peer`; returns how many.
  size_t disconnect(const PeerId& peer, const std::string& why);
  // Disconnects `peer` and refuses it for `how_long`: its inbound connections are closed right
  // after the handshake proves who it is, and dials to it fail.
  void ban(const PeerId& peer, Duration how_long, const std::string& why);
  // Which peers admission must never trim to make room (bootstrap, protected by the connection
  // manager). Without it, none are.
  void set_protection(std::function<bool(const PeerId&)> is_protected) {
    is_protected_ = std::move(is_protected);
  }
  // Stops listening and closes every connection.
  void shutdown();
  // What set_handler uses when given no limits; services start from it to set their own caps.
  const host::ProtocolLimits& default_protocol_limits() const { return config_.protocol_limits; }
  // The policy core, for inspection (usage by scope, refusals, backoff).
  const host::Swarm& policy() const { return policy_->core; }

 private:
  struct Metrics;
  // Shared with the streams' release callbacks, which may run after the swarm is gone.
  struct Policy {
    Policy(PeerId local, host::SwarmConfig config) : core(std::move(local), config) {}
    host::Swarm core;
    std::map<std::pair<uint64_t, uint64_t>, std::weak_ptr<Stream>> streams;
  };
  struct DialInFlight {
    std::optional<Error> error;
    std::vector<Waiter*> waiters;
  };
  awaitable<void> accept_loop(std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
  awaitable<void> handle_inbound(asio::ip::tcp::socket socket);
  awaitable<Result<std::shared_ptr<Connection>>> secure(asio::ip::tcp::socket socket, bool inbound,
                                                        std::optional<PeerId> expected,
                                                        Multiaddr remote);
  awaitable<void> serve_stream(std::shared_ptr<Stream> stream);
  void record(observe::EventType type, const std::string& peer, const std::string& addr,
              observe::Direction dir, const std::string& reason, const std::string& detail,
              const std::string& protocol = {});
  void limit_hit(const host::Refusal& r, const std::string& addr, const std::string& peer = {},
                 const std::string& protocol = {});
  awaitable<Result<std::shared_ptr<Connection>>> dial_with(std::optional<PeerId> peer,
                                                           std::vector<Multiaddr> addrs);
  awaitable<Result<std::shared_ptr<Connection>>> dial_address(Multiaddr addr,
                                                              std::optional<PeerId> expected);
  awaitable<Result<asio::ip::tcp::socket>> connect_tcp(const Multiaddr& addr);
  awaitable<Status> probe_address(const Multiaddr& addr, const PeerId& peer);
  awaitable<Result<std::shared_ptr<Connection>>> run_dial(host::DialPlan plan,
                                                          std::optional<PeerId> peer);
  std::optional<host::Refusal> charge(const std::shared_ptr<Stream>& stream,
                                      const std::string& protocol, host::Direction dir);
  bool register_protocol(const std::string& protocol, const host::ProtocolLimits& limits,
                         Duration idle_timeout = Duration::zero());
  void apply_policy();
  void arm_policy_timer();
  void connection_closed(Connection& c, const Error& reason);

  asio::any_io_executor executor_;
  crypto::Ed25519PrivateKey identity_;
  PeerId local_peer_;
  SwarmConfig config_;
  // Every connection's bytes together; shared with the connections.
  std::shared_ptr<host::RateLimit> upload_all_, download_all_;
  std::shared_ptr<Connection::ByteTotals> byte_totals_ = std::make_shared<Connection::ByteTotals>();
  std::shared_ptr<Policy> policy_;
  std::map<host::DialId, std::shared_ptr<DialInFlight>> dials_;
  std::map<uint64_t, host::CloseReason> close_causes_;  // closes the policy asked for
  bool idle_timeouts_ = false;                          // some protocol has one: drive them
  std::unique_ptr<asio::steady_timer> policy_timer_;    // at the policy core's next_timer()
  std::optional<Instant> policy_timer_at_;
  observe::EventRecorder& events_;
  std::unique_ptr<Metrics> metrics_;
  std::vector<std::shared_ptr<asio::ip::tcp::acceptor>> acceptors_;
  std::vector<Multiaddr> listen_addrs_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::map<std::string, StreamHandler> handlers_;
  std::vector<ConnectionCallback> on_connection_;
  std::vector<ClosedCallback> on_closed_;
  std::function<bool(const PeerId&)> is_protected_;
  uint64_t next_connection_id_ = 1;
  size_t probes_in_flight_ = 0;
  bool shut_down_ = false;
};

Multiaddr to_multiaddr(const asio::ip::tcp::endpoint& ep);

}  // namespace agora::rt
