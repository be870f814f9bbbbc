// agora::node::Node wires the layers: swarm (connections, streams, limits), the protocol services,
// metrics and the event recorder. Everything runs on the io_context's one thread.
#pragma once

#include <memory>

#include "agora/version.h"
#include "node/autonat_service.h"
#include "node/bitswap_service.h"
#include "node/connectivity.h"
#include "node/content_routing.h"
#include "node/diag_service.h"
#include "node/identify_service.h"
#include "node/kad_service.h"
#include "node/perf_service.h"
#include "node/ping_service.h"
#include "node/xfer_service.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "observe/otlp_exporter.h"
#include "observe/spans.h"
#include "runtime/asio/behaviour_host.h"
#include "runtime/asio/swarm.h"
#include "store/config.h"

namespace agora {

// The node's internals; agora::Node (include/agora/node.h) is the public face over this one.
namespace node {

class Node {
 public:
  // With a blockstore the node serves and fetches blocks over bitswap. With a pre-shared key
  // (the repo's swarm.key) it is in that private network: every connection goes through the
  // pnet protector, and mDNS announces and listens under the network's own service name.
  Node(asio::io_context& io, crypto::Ed25519PrivateKey identity, const store::Config& config,
       store::Blockstore* blocks = nullptr, std::optional<pnet::PreSharedKey> psk = std::nullopt);
  ~Node();

  // Listens on every configured address; fails if none can be bound.
  Status start();
  // After start(): mDNS discovery, the bootstrap list, the connection manager and the peer store,
  // persisted in <repo>/agora.db (in memory only when `repo` is empty). The daemon calls it;
  // in-process nodes (tests, benchmarks) that do not stay as they were.
  Status start_connectivity(const std::filesystem::path& repo);
  // After start(): the Kademlia DHT ([dht] in the config) and content routing over it (provide
  // what is added, find providers when bitswap stalls), its state in <repo>/agora.db (nothing
  // persisted when `repo` is empty).
  Status start_dht(const std::filesystem::path& repo);
  // `root` was added locally: announce it in the DHT ([dht] provide). A no-op without the DHT.
  void content_added(const Cid& root);
  void stop();

  const PeerId& peer_id() const { return swarm_->local_peer(); }
  // The private network's key fingerprint (pnet::fingerprint); empty in a public network.
  const std::string& private_network() const { return network_fingerprint_; }
  const store::Config& config() const { return config_; }
  rt::Swarm& swarm() { return *swarm_; }
  rt::BehaviourHost& behaviours() { return *behaviours_; }
  IdentifyService& identify() { return *identify_; }
  PingService& ping() { return *ping_; }
  PerfService& perf() { return *perf_; }
  DiagService& diag() { return *diag_; }
  AutonatService& autonat() { return *autonat_; }
  BitswapService* bitswap() { return bitswap_.get(); }          // null without a blockstore
  XferService* xfer() { return xfer_.get(); }                   // null without a blockstore
  Connectivity* connectivity() { return connectivity_.get(); }  // null before start_connectivity
  KadService* dht() { return kad_.get(); }                      // null before start_dht
  ContentRouting* content_routing() { return content_routing_.get(); }
  observe::Registry& metrics() { return metrics_; }
  observe::EventRecorder& events() { return events_; }
  observe::SpanRecorder& spans() { return spans_; }
  asio::io_context& io() { return io_; }

  // Fetches the DAG under `root` into the blockstore: a file over xfer from the agora peers that
  // serve it (in file order when `sequential`, for reading while it arrives), anything else, or
  // what xfer could not finish, over bitswap (which resumes from what xfer stored). Arguments as
  // BitswapService::fetch_dag.
  rt::awaitable<Result<FetchProgress>> fetch_content(Cid root, Duration stall_timeout,
                                                     FetchProgressFn progress,
                                                     uint64_t fetched_bytes_max, CancelFlag cancel,
                                                     bool sequential = false);

  // Dials (or reuses a connection to) the peer at `addr`.
  rt::awaitable<Result<std::shared_ptr<rt::Connection>>> connect(Multiaddr addr);

 private:
  asio::io_context& io_;
  store::Config config_;
  std::string network_fingerprint_;
  observe::Registry metrics_;
  observe::EventRecorder events_;
  observe::SpanRecorder spans_;
  std::unique_ptr<rt::Swarm> swarm_;
  std::unique_ptr<rt::BehaviourHost> behaviours_;  // drives the protocols ported to host::Behaviour
  std::unique_ptr<IdentifyService> identify_;
  std::unique_ptr<PingService> ping_;
  std::unique_ptr<PerfService> perf_;
  std::unique_ptr<BitswapService> bitswap_;
  std::unique_ptr<XferService> xfer_;
  std::unique_ptr<DiagService> diag_;
  std::unique_ptr<AutonatService> autonat_;
  std::unique_ptr<Connectivity> connectivity_;
  store::Blockstore* blocks_;
  std::unique_ptr<KadService> kad_;
  std::unique_ptr<ContentRouting> content_routing_;
  std::unique_ptr<observe::OtlpExporter> otlp_;  // [trace] otlp_endpoint; stopped first
};

}  // namespace node
}  // namespace agora
