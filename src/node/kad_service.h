// /ipfs/kad/1.0.0 on the node: behaviour::KadBehaviour (the core over request/response
// streams, sans-I/O; see behaviour/kad_behaviour.h for the protocol's rules and bounds) driven
// by the node's BehaviourHost. This adapter adds what needs the node:
//
//   - Queries for callers: run() starts one on the core and awaits its end.
//   - Identify answers reach the behaviour (a DHT server enters the routing table).
//   - Bootstrap: a self lookup as soon as the routing table has peers (loaded from agora.db, or the
//     first server peer that connects), retried until one succeeds; the core then refreshes every
//     refresh_interval.
//   - Persistence (<repo>/agora.db, store/dht_db.h): provider records accepted from peers, our
//     provided keys (republished 22 h after their last provide, across restarts) and the routing
//     table, written on a worker thread every save_interval and at stop().
//   - Bad input is counted in agora_dht_bad_input_total{kind} and recorded as a peer_misbehaved
//     event (protocol /ipfs/kad/1.0.0, reason = kind): malformed, oversized, over_limit,
//     wrong_type, invalid_record, foreign_provider, refused, not_stored, rate_limited (over
//     add_provider_rate_per_s), over_quota (a provider store quota), banned.
//   - A peer the core bans (it kept overflowing the provider store) is disconnected and refused
//     for abuse_ban, counted in agora_dht_peers_banned_total; provider records evicted (to make
//     room, or a banned peer's) are deleted from agora.db too.
//   - Streams past inbound_streams_per_peer_max are refused by the swarm's resource manager
//     (agora_refusals_total{scope="peer_protocol",protocol="/ipfs/kad/1.0.0"}).
//
// Runs on the node's event-loop thread; call every method from that thread.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "behaviour/kad_behaviour.h"
#include "node/identify_service.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "observe/spans.h"
#include "proto/kad/kad.h"
#include "runtime/asio/behaviour_host.h"
#include "store/config.h"

namespace agora {

namespace store {
class DhtDb;
}

struct KadServiceConfig {
  kad::KadConfig kad;
  bool server = true;  // see [dht] mode in store/config.h
  // As js-libp2p's kad-dht allows (its own inbound cap; it opens up to 64 at once to one peer).
  size_t inbound_streams_per_peer_max = 32;  // kad streams one peer may have open to us
  Duration inbound_idle_timeout = std::chrono::seconds(60);  // a stream with no request
  size_t dial_addrs_per_peer_max = 4;                        // addresses tried per dial
  size_t provider_rows_pending_max = 4096;  // unsaved provider records; then saved at once
  std::filesystem::path db;                 // empty: nothing persisted
  Duration save_interval = std::chrono::seconds(30);  // routing table, provided keys, providers
  Duration bootstrap_retry = std::chrono::seconds(30);
  // How long a peer the core banned (PeerBanned: it kept overflowing the provider store) is
  // refused by the swarm.
  Duration abuse_ban = std::chrono::hours(1);
};

class KadService {
 public:
  using StepFn = std::function<void(const kad::QueryStep&)>;
  using StartFn = std::function<Result<kad::QueryId>(kad::Kad&, Instant now)>;

  KadService(rt::Swarm& swarm, rt::BehaviourHost& host, IdentifyService& identify,
             KadServiceConfig config, observe::Registry& metrics, observe::EventRecorder& events);
  ~KadService();
  // Requests about a key a traced operation is looking up are traced (docs/tracing.md).
  void set_spans(observe::SpanRecorder* spans);
  KadService(const KadService&) = delete;
  KadService& operator=(const KadService&) = delete;

  // After the swarm listens: loads agora.db (errors: it cannot be opened or read), registers the
  // handler in server mode, hooks connections and identify, starts the timer.
  Status start();
  // Saves the routing table, provided keys and pending provider records (waits for the write),
  // ends running operations with Errc::closed. Idempotent.
  void stop();

  // Runs one query to its end: `start` starts it on the core (find_node, get_value, ...);
  // `steps` (may be empty) sees every answer and failure as it happens. Errors: the core refused
  // to start it (bad key, queries_max), or the service stopped.
  // Callers: pass named StartFn/StepFn objects, not lambdas written inside the co_await: GCC 12
  // destroys such temporaries twice in coroutines (see runtime/asio/upgrade.cpp).
  rt::awaitable<Result<kad::QueryFinished>> run(StartFn start, StepFn steps);
  // Provides `multihash` (our current addresses go with it); ends when the ADD_PROVIDERs are sent.
  rt::awaitable<Result<kad::QueryFinished>> provide(Bytes multihash);
  // A connection to `peer`: the open one, else a dial of its addresses (those given, then those
  // identify reported). Concurrent calls for one peer share one dial (the swarm's).
  rt::awaitable<Result<std::shared_ptr<rt::Connection>>> connect(kad::PeerInfo peer);

  // Called for each peer that enters the routing table (a DHT server), with its addresses; the
  // node hands them to the peer store.
  using ServerAddedFn = std::function<void(const PeerId&, const std::vector<Multiaddr>&)>;
  void on_server_added(ServerAddedFn fn) { on_server_added_ = std::move(fn); }

  const kad::Kad& core() const { return kad_; }
  asio::any_io_executor executor() const { return swarm_.executor(); }
  bool server_mode() const { return config_.server; }
  bool bootstrapped() const { return bootstrapped_; }
  size_t routing_loaded() const { return routing_loaded_; }
  size_t providers_loaded() const { return providers_loaded_; }
  size_t provided_loaded() const { return provided_loaded_; }
  // Our dialable listen addresses, binary, as the DHT sends them.
  std::vector<Bytes> self_addrs() const;
  // Bad input counted since start, all kinds together (for tests and the status API).
  uint64_t bad_input_count() const { return bad_input_total_; }

 private:
  struct Metrics;
  struct Op;

  // kad_service.cpp: lifecycle, hooks, the behaviour's outputs, timers.
  void pump();
  void deliver();
  void on_event(kad::KadEvent& event);
  void on_finished(kad::QueryFinished& finished);
  void maybe_bootstrap(Instant now);
  rt::awaitable<void> timer_loop(std::weak_ptr<int> alive);
  void on_timer(Instant now);
  void bad_input(const PeerId& peer, const char* kind, const std::string& detail);
  void update_gauges();

  // kad_persist.cpp: agora.db.
  Status load();
  void save(bool final);
  void provider_accepted(const PeerId& from, const Bytes& key, Instant now);

  rt::Swarm& swarm_;
  rt::BehaviourHost& host_;
  IdentifyService& identify_;
  KadServiceConfig config_;
  observe::EventRecorder& events_;
  std::unique_ptr<Metrics> metrics_;
  behaviour::KadBehaviour behaviour_;
  kad::Kad& kad_;  // behaviour_'s
  std::map<kad::QueryId, Op*> ops_;
  ServerAddedFn on_server_added_;
  std::optional<kad::QueryId> bootstrap_query_;
  std::optional<Instant> bootstrap_at_;
  bool bootstrapped_ = false;
  bool started_ = false;
  bool stopped_ = false;
  uint64_t bad_input_total_ = 0;
  size_t routing_loaded_ = 0;
  size_t providers_loaded_ = 0;
  size_t provided_loaded_ = 0;
  // Persistence state (kad_persist.cpp).
  struct Pending;
  std::unique_ptr<Pending> pending_;
  Instant next_save_{};
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // coroutines check it after waking
  std::unique_ptr<rt::Waiter> timer_wake_;
  std::unique_ptr<store::DhtDb> db_;
  asio::thread_pool writer_{1};  // after db_: destroyed (joined) first
};

// "auto" | "server" | "client" and the node's listen addresses -> server mode or not.
// auto: server whenever the node listens on some address (loopback included: a local testnet is
// reachable to its members). agora has no reachability check (AutoNAT) yet; a node behind NAT
// should set mode = "client".
Result<bool> dht_server_mode(std::string_view mode, const std::vector<Multiaddr>& listen_addrs);

// From the repo's config and the addresses the node listens on; the state goes to
// <repo>/agora.db (nowhere when `repo` is empty).
Result<KadServiceConfig> kad_service_config(const store::Config& config,
                                            const std::vector<Multiaddr>& listen_addrs,
                                            const std::filesystem::path& repo);

}  // namespace agora
