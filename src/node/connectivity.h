// Connectivity: how a node finds peers and keeps a healthy number of connections. The policy is
// behaviour::ConnectivityBehaviour (the peer store and the connection manager as a sans-I/O
// behaviour, driven by the node's BehaviourHost; see its header). This adapter supplies what only
// the runtime has: mDNS discovery (behaviour::MdnsBehaviour, on the host's datagram path), each
// connection's activity and round trips, identify answers, the wall clock, and the persistent copy
// of the peer store in agora.db (store/peer_db.h), written on a worker thread every
// flush_interval and at stop so the event loop never waits for the disk. It turns the behaviour's
// events into metrics and recorded events.
//
// Runs on the node's event-loop thread; call every method from that thread.
#pragma once

#include <filesystem>
#include <memory>

#include "behaviour/connectivity_behaviour.h"
#include "behaviour/mdns_behaviour.h"
#include "node/identify_service.h"
#include "runtime/asio/behaviour_host.h"
#include "runtime/asio/swarm.h"
#include "store/config.h"
#include "store/peer_db.h"

namespace agora {

struct ConnectivityConfig {
  bool mdns = true;
  std::string mdns_interface;  // empty: rt::default_multicast_interface()
  // The DNS-SD service we announce and ask for: `_p2p._udp.local` (libp2p's), or a private
  // network's own (private_mdns_service_name), so that public and private nodes never meet.
  std::string mdns_service_name = std::string(mdns::kServiceName);
  std::vector<Multiaddr> bootstrap;
  host::PeerStoreConfig peers;
  host::ConnectionManagerConfig connections;
  std::filesystem::path peer_db;  // empty: the peer store lives in memory only
  Duration tick = std::chrono::seconds(1);
  Duration flush_interval = std::chrono::seconds(10);
  size_t dial_addrs_per_peer_max = 4;  // addresses tried, best first, per dial of a known peer
};

// `_p2p-<fingerprint>._udp.local`: the mDNS service of the private network with this key
// fingerprint (pnet::fingerprint). Nodes of other networks, and public ones, ask for another name
// and never see it.
std::string private_mdns_service_name(const std::string& fingerprint);

// From the repo's config; the peer store goes to <repo>/agora.db.
Result<ConnectivityConfig> connectivity_config(const store::Config& config,
                                               const std::filesystem::path& repo);

class Connectivity {
 public:
  Connectivity(rt::Swarm& swarm, rt::BehaviourHost& host, IdentifyService& identify,
               ConnectivityConfig config, observe::Registry& metrics,
               observe::EventRecorder& events);
  ~Connectivity();
  Connectivity(const Connectivity&) = delete;
  Connectivity& operator=(const Connectivity&) = delete;

  // After the swarm listens: loads the peer store, opens mDNS (a failure there is reported in
  // mdns_error() and the node runs without it), dials the bootstrap peers and starts the tick.
  // Errors: the peer store cannot be opened or read, or the connection manager config is bad.
  Status start();
  // Sends the mDNS goodbye and writes the peer store out (waits for the write). Idempotent.
  void stop();

  // After a successful start().
  host::PeerStore& peers() { return behaviour_->peers(); }
  host::ConnectionManager& manager() { return behaviour_->manager(); }
  const std::vector<Multiaddr>& bootstrap() const { return behaviour_->bootstrap(); }
  // Adds to this run's bootstrap list (the config file is the CLI's business) and dials it.
  // Errc::invalid_input without /p2p/; Errc::exists when already listed.
  Status add_bootstrap(const Multiaddr& addr);
  // False when it was not listed.
  bool remove_bootstrap(const Multiaddr& addr);
  // A round trip measured elsewhere (the ping API).
  void note_latency(const PeerId& peer, Duration rtt) { behaviour_->note_latency(peer, rtt); }

  bool mdns_running() const { return mdns_ != nullptr; }
  const std::string& mdns_interface() const { return mdns_interface_; }
  const std::string& mdns_error() const { return mdns_error_; }
  const std::string& mdns_service_name() const { return config_.mdns_service_name; }
  size_t peers_loaded() const { return peers_loaded_; }

 private:
  struct Metrics;
  void deliver();
  void record(const behaviour::ConnectivityEvent& event);
  void on_mdns(const mdns::MdnsEvent& event);
  void open_mdns();
  void flush();

  rt::Swarm& swarm_;
  rt::BehaviourHost& host_;
  IdentifyService& identify_;
  ConnectivityConfig config_;
  observe::EventRecorder& events_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<behaviour::ConnectivityBehaviour> behaviour_;  // null: a bad config
  Error config_error_{Errc::internal, ""};
  std::unique_ptr<behaviour::MdnsBehaviour> mdns_;  // null: mDNS is off or failed
  std::string mdns_interface_;
  std::string mdns_error_;
  Instant next_flush_{};
  size_t peers_loaded_ = 0;
  bool started_ = false;
  bool stopped_ = false;
  // Identify outlives us and keeps its callbacks: ours checks this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<store::PeerDb> db_;
  asio::thread_pool writer_{1};  // after db_: destroyed (joined) first
};

}  // namespace agora
