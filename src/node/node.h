// agora::Node wires the layers: swarm (connections, streams, limits), the protocol services,
// metrics and the event recorder. Everything runs on the io_context's one thread.
#pragma once

#include <memory>

#include "node/bitswap_service.h"
#include "node/connectivity.h"
#include "node/identify_service.h"
#include "node/perf_service.h"
#include "node/ping_service.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "runtime/asio/swarm.h"
#include "store/config.h"

namespace agora {

inline constexpr const char* kAgoraVersion = "0.1.0";
std::string agent_version();  // "agora/<version>"

class Node {
 public:
  // With a blockstore the node serves and fetches blocks over bitswap.
  Node(asio::io_context& io, crypto::Ed25519PrivateKey identity, const store::Config& config,
       store::Blockstore* blocks = nullptr);
  ~Node();

  // Listens on every configured address; fails if none can be bound.
  Status start();
  // After start(): mDNS discovery, the bootstrap list, the connection manager and the peer store,
  // persisted in <repo>/agora.db (in memory only when `repo` is empty). The daemon calls it;
  // in-process nodes (tests, benchmarks) that do not stay as they were.
  Status start_connectivity(const std::filesystem::path& repo);
  void stop();

  const PeerId& peer_id() const { return swarm_->local_peer(); }
  rt::Swarm& swarm() { return *swarm_; }
  IdentifyService& identify() { return *identify_; }
  PingService& ping() { return *ping_; }
  PerfService& perf() { return *perf_; }
  BitswapService* bitswap() { return bitswap_.get(); }          // null without a blockstore
  Connectivity* connectivity() { return connectivity_.get(); }  // null before start_connectivity
  observe::Registry& metrics() { return metrics_; }
  observe::EventRecorder& events() { return events_; }
  asio::io_context& io() { return io_; }

  // Dials (or reuses a connection to) the peer at `addr`.
  rt::awaitable<Result<std::shared_ptr<rt::Connection>>> connect(Multiaddr addr);

 private:
  asio::io_context& io_;
  store::Config config_;
  observe::Registry metrics_;
  observe::EventRecorder events_;
  std::unique_ptr<rt::Swarm> swarm_;
  std::unique_ptr<IdentifyService> identify_;
  std::unique_ptr<PingService> ping_;
  std::unique_ptr<PerfService> perf_;
  std::unique_ptr<BitswapService> bitswap_;
  std::unique_ptr<Connectivity> connectivity_;
};

}  // namespace agora
