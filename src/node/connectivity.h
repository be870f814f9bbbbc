// Connectivity: how a node finds peers and keeps a healthy number of connections. Drives the
// sans-I/O PeerStore and ConnectionManager (src/host) with the swarm's connections, mDNS
// discovery (runtime/asio/mdns_socket.h), the bootstrap list and the persistent copy of the peer
// store in agora.db (store/peer_db.h).
//
//   - Every secured connection, identify answer and measured round trip updates the peer store.
//   - A peer found by mDNS is remembered and dialled unless connected or over the high watermark.
//   - Bootstrap peers are dialled at start; like every known peer they are dialled again when the
//     connection count falls below the low watermark (bootstrap peers first).
//   - A tick samples each connection's streams and bytes, runs the connection manager, closes
//     the connections it trims and starts the dials it asks for.
//   - Peer store changes are written to agora.db on a worker thread every flush_interval and at
//     stop, so the event loop never waits for the disk.
//
// Runs on the node's event-loop thread; call every method from that thread.
#pragma once

#include <filesystem>
#include <memory>
#include <set>

#include "host/connection_manager.h"
#include "host/peer_store.h"
#include "node/identify_service.h"
#include "runtime/asio/mdns_socket.h"
#include "runtime/asio/swarm.h"
#include "store/config.h"
#include "store/peer_db.h"

namespace agora {

struct ConnectivityConfig {
  bool mdns = true;
  std::string mdns_interface;  // empty: rt::default_mdns_interface()
  std::vector<Multiaddr> bootstrap;
  PeerStoreConfig peers;
  ConnectionManagerConfig connections;
  std::filesystem::path peer_db;  // empty: the peer store lives in memory only
  Duration tick = std::chrono::seconds(1);
  Duration flush_interval = std::chrono::seconds(10);
  size_t dial_addrs_per_peer_max = 4;  // addresses tried, best first, per dial of a known peer
};

// From the repo's config; the peer store goes to <repo>/agora.db.
Result<ConnectivityConfig> connectivity_config(const store::Config& config,
                                               const std::filesystem::path& repo);

class Connectivity {
 public:
  Connectivity(rt::Swarm& swarm, IdentifyService& identify, ConnectivityConfig config,
               observe::Registry& metrics, observe::EventRecorder& events);
  ~Connectivity();
  Connectivity(const Connectivity&) = delete;
  Connectivity& operator=(const Connectivity&) = delete;

  // After the swarm listens: loads the peer store, opens mDNS (a failure there is reported in
  // mdns_error() and the node runs without it), dials the bootstrap peers and starts the tick.
  // Errors: the peer store cannot be opened or read, or the connection manager config is bad.
  Status start();
  // Sends the mDNS goodbye and writes the peer store out (waits for the write). Idempotent.
  void stop();

  PeerStore& peers() { return peers_; }
  ConnectionManager& manager() { return manager_; }
  const std::vector<Multiaddr>& bootstrap() const { return config_.bootstrap; }
  // Adds to this run's bootstrap list (the config file is the CLI's business) and dials it.
  // Errc::invalid_input without /p2p/; Errc::exists when already listed.
  Status add_bootstrap(const Multiaddr& addr);
  // False when it was not listed.
  bool remove_bootstrap(const Multiaddr& addr);
  // A round trip measured elsewhere (the ping API).
  void note_latency(const PeerId& peer, Duration rtt);

  bool mdns_running() const { return mdns_ != nullptr; }
  const std::string& mdns_interface() const { return mdns_interface_; }
  const std::string& mdns_error() const { return mdns_error_; }
  size_t peers_loaded() const { return peers_loaded_; }

 private:
  struct Metrics;
  void on_connection(const std::shared_ptr<rt::Connection>& conn);
  void on_closed(rt::Connection& conn);
  void on_identified(const PeerId& peer, const IdentifyInfo& info);
  void on_mdns(const mdns::MdnsEvent& event);
  void open_mdns();
  void discovered(const PeerId& peer, const std::vector<Multiaddr>& addrs, PeerSource source);
  void start_dial(const PeerId& peer, uint32_t source);
  rt::awaitable<void> dial(PeerId peer, uint32_t source, std::weak_ptr<int> alive);
  rt::awaitable<void> tick_loop(std::weak_ptr<int> alive);
  void tick();
  void flush();

  rt::Swarm& swarm_;
  IdentifyService& identify_;
  ConnectivityConfig config_;
  observe::EventRecorder& events_;
  std::unique_ptr<Metrics> metrics_;
  PeerStore peers_;
  ConnectionManager manager_;
  std::unique_ptr<rt::MdnsSocket> mdns_;
  std::string mdns_interface_;
  std::string mdns_error_;
  std::set<PeerId> dialing_;
  std::map<PeerId, uint32_t> dial_sources_;  // source bits of our dials in flight
  Instant next_flush_{};
  size_t peers_loaded_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // coroutines check it after waking
  std::shared_ptr<asio::steady_timer> timer_;
  std::unique_ptr<store::PeerDb> db_;
  asio::thread_pool writer_{1};  // after db_: destroyed (joined) first
};

}  // namespace agora
