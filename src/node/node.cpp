#include "node/node.h"

#include "crypto/random.h"

namespace agora {

namespace node {

// How long a file fetch waits for a provider the DHT finds to connect over xfer before it uses
// bitswap (which then asks whoever connected).
constexpr Duration kProviderWait = std::chrono::seconds(5);

static rt::SwarmConfig swarm_config(const store::Config& c,
                                    const std::optional<pnet::PreSharedKey>& psk) {
  rt::SwarmConfig s;
  s.psk = psk;
  s.limits.connections_max = c.limits.connections_max;
  s.limits.connections_per_peer_max = c.limits.connections_per_peer_max;
  s.limits.pending_dials_max = c.limits.pending_dials_max;
  s.limits.pending_inbound_handshakes_max = c.limits.pending_inbound_handshakes_max;
  s.limits.pending_inbound_handshakes_per_ip_max = c.limits.pending_inbound_handshakes_per_ip_max;
  s.limits.pending_inbound_handshakes_per_group_max =
      c.limits.pending_inbound_handshakes_per_group_max;
  s.limits.inbound_connections_per_ip_max = c.limits.inbound_connections_per_ip_max;
  s.limits.inbound_connections_per_group_max = c.limits.inbound_connections_per_group_max;
  s.limits.outbound_reserve = c.limits.outbound_reserve;
  s.first_bytes_timeout = std::chrono::milliseconds(c.limits.first_bytes_timeout_ms);
  s.yamux.inbound_streams_max = c.limits.inbound_streams_per_connection_max;
  s.resources.system.streams_inbound_max = c.limits.streams_max;
  s.resources.system.streams_outbound_max = c.limits.streams_max;
  s.resources.peer.streams_inbound_max = c.limits.streams_per_peer_max;
  s.resources.peer.streams_outbound_max = c.limits.streams_per_peer_max;
  s.resources.system.memory_bytes_max = c.limits.buffered_bytes_max;
  s.resources.peer.memory_bytes_max = c.limits.buffered_bytes_per_peer_max;
  s.dial_timeout = std::chrono::milliseconds(c.limits.dial_timeout_ms);
  s.handshake_timeout = std::chrono::milliseconds(c.limits.handshake_timeout_ms);
  s.inline_muxer = c.noise_inline_muxer;
  s.upload_bytes_per_s = c.limits.upload_bytes_per_second;
  s.download_bytes_per_s = c.limits.download_bytes_per_second;
  s.upload_bytes_per_s_per_connection = c.limits.upload_bytes_per_second_per_peer;
  s.download_bytes_per_s_per_connection = c.limits.download_bytes_per_second_per_peer;
  return s;
}

Node::Node(asio::io_context& io, crypto::Ed25519PrivateKey identity, const store::Config& config,
           store::Blockstore* blocks, std::optional<pnet::PreSharedKey> psk)
    : io_(io),
      config_(config),
      network_fingerprint_(psk ? pnet::fingerprint(*psk) : std::string()),
      events_(observe::EventRecorderConfig{
          .capacity = config.event_buffer_max,
          .summary_window = std::chrono::milliseconds(config.event_summary_window_ms)}),
      spans_(observe::SpanRecorderConfig{.spans_max = config.trace.spans_max,
                                         .served_per_peer_max =
                                             config.trace.served_spans_per_peer_max},
             [](std::span<uint8_t> out) { crypto::random_bytes(out.data(), out.size()); }),
      swarm_(std::make_unique<rt::Swarm>(io.get_executor(), std::move(identity),
                                         swarm_config(config, psk), metrics_, events_)),
      behaviours_(
          std::make_unique<rt::BehaviourHost>(*swarm_, rt::BehaviourHostConfig{.spans = &spans_})),
      identify_(std::make_unique<IdentifyService>(
          *swarm_, *behaviours_, IdentifyServiceConfig{.agent_version = agent_version()}, events_)),
      ping_(std::make_unique<PingService>(*swarm_, *behaviours_, PingServiceConfig{})),
      perf_(std::make_unique<PerfService>(
          *swarm_, *behaviours_,
          PerfServiceConfig{
              .enabled = config.perf.enabled,
              .download_bytes_max = config.perf.download_bytes_max,
              .stall_timeout = std::chrono::milliseconds(config.perf.stall_timeout_ms)},
          metrics_, events_)),
      diag_(std::make_unique<DiagService>(*swarm_, *behaviours_,
                                          behaviour::DiagConfig{.serve = config.trace.serve_diag},
                                          spans_, metrics_, events_)),
      autonat_(std::make_unique<AutonatService>(
          *swarm_, *behaviours_,
          AutonatServiceConfig{
              .behaviour = {.serve = config.autonat.serve},
              .check_interval = std::chrono::seconds(config.autonat.check_interval_s)},
          [this](const PeerId& peer) {
            const auto* info = identify_->peer_info(peer);
            return info && std::find(info->protocols.begin(), info->protocols.end(),
                                     behaviour::kAutonatProtocol) != info->protocols.end();
          },
          metrics_, events_)),
      blocks_(blocks) {
  if (blocks) {
    bitswap_ = std::make_unique<BitswapService>(*swarm_, *behaviours_, *blocks,
                                                BitswapServiceConfig{}, metrics_, events_);
    xfer_ = std::make_unique<XferService>(*swarm_, *behaviours_, *identify_, *blocks,
                                          bitswap_.get(), XferServiceConfig{}, metrics_, events_);
    xfer_->set_spans(&spans_);
    bitswap_->set_spans(&spans_);
  }
}

// Members go in reverse order: the services (each removes its behaviour from the host) before
// the BehaviourHost, the host before the swarm.
Node::~Node() { stop(); }

Status Node::start() {
  identify_->start();
  ping_->start();
  perf_->start();
  diag_->start();
  autonat_->start();
  if (bitswap_) bitswap_->start();
  if (xfer_) xfer_->start();
  std::string failures;
  for (const auto& text : config_.listen) {
    auto addr = Multiaddr::parse(text);
    Status st = addr ? swarm_->listen(*addr) : Status(addr.error());
    if (!st) failures += (failures.empty() ? "" : "; ") + st.error().message;
  }
  // Names the key to change: a port clash is the usual cause (another daemon on 4001).
  if (swarm_->listen_addrs().empty())
    return make_error(Errc::io, "could not listen on any address: " + failures +
                                    " (change `listen` in config.toml, e.g. to port 0 for any "
                                    "free port, or stop the program that holds the port)");
  if (!config_.trace.otlp_endpoint.empty() && !otlp_) {  // [trace] otlp_endpoint: on its thread
    AGORA_ASSIGN(auto endpoint, observe::parse_http_endpoint(config_.trace.otlp_endpoint));
    otlp_ = std::make_unique<observe::OtlpExporter>(
        observe::OtlpExporterConfig{
            .endpoint = std::move(endpoint),
            .node = peer_id().to_string(),
            .interval = std::chrono::milliseconds(config_.trace.otlp_interval_ms)},
        spans_, metrics_, events_);
    otlp_->start();
  }
  return {};
}

Status Node::start_connectivity(const std::filesystem::path& repo) {
  if (connectivity_) return {};
  AGORA_ASSIGN(ConnectivityConfig config, connectivity_config(config_, repo));
  // A private network's nodes find each other, and only each other, on the LAN.
  if (!network_fingerprint_.empty())
    config.mdns_service_name = private_mdns_service_name(network_fingerprint_);
  auto connectivity = std::make_unique<Connectivity>(*swarm_, *behaviours_, *identify_,
                                                     std::move(config), metrics_, events_);
  AGORA_TRY(connectivity->start());
  connectivity_ = std::move(connectivity);
  return {};
}

Status Node::start_dht(const std::filesystem::path& repo) {
  if (kad_) return {};
  AGORA_ASSIGN(KadServiceConfig config, kad_service_config(config_, swarm_->listen_addrs(), repo));
  auto kad = std::make_unique<KadService>(*swarm_, *behaviours_, *identify_, std::move(config),
                                          metrics_, events_);
  AGORA_TRY(kad->start());
  kad->set_spans(&spans_);
  kad_ = std::move(kad);
  content_routing_ = std::make_unique<ContentRouting>(
      *kad_, blocks_, ContentRoutingConfig{.provide_all = config_.dht.provide == "all"}, metrics_,
      events_);
  if (bitswap_)
    bitswap_->on_want_stalled([this](const Cid& cid) {
      if (content_routing_) content_routing_->find_providers(cid);
    });
  if (xfer_) {
    XferService::Discovery discovery;
    discovery.find_providers = [this](const Cid& root) {
      if (content_routing_) content_routing_->find_providers(root);
    };
    if (config_.dht.provide_fetched)
      discovery.announce = [this](const Cid& root) {
        if (content_routing_) content_routing_->provide_root(root);
      };
    xfer_->set_discovery(std::move(discovery));
  }
  // DHT servers go into the peer store too (source "dht"): redialled below the low watermark.
  kad_->on_server_added([this](const PeerId& peer, const std::vector<Multiaddr>& addrs) {
    if (!connectivity_) return;
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    connectivity_->peers().add_addrs(peer, addrs, store::bit(store::PeerSource::dht), now_ms);
  });
  return {};
}

void Node::content_added(const Cid& root) {
  if (content_routing_) content_routing_->provide(root);
  // A peer that asked for the root before we had it gets it now; it then asks for the rest.
  if (bitswap_) bitswap_->block_added(root);
}

void Node::stop() {
  autonat_->stop();
  if (otlp_) otlp_->stop();  // joins its thread; a POST in flight gives up within 100 ms
  if (connectivity_) connectivity_->stop();  // first: no new dials while the swarm shuts down
  if (content_routing_) content_routing_->stop();
  if (kad_) kad_->stop();  // saves the routing table while it still holds this run's peers
  if (bitswap_) bitswap_->stop();
  swarm_->shutdown();
}

rt::awaitable<Result<FetchProgress>> Node::fetch_content(Cid root, Duration stall_timeout,
                                                         FetchProgressFn progress,
                                                         uint64_t fetched_bytes_max,
                                                         CancelFlag cancel, bool sequential) {
  if (!bitswap_) co_return make_error(Errc::unsupported, "this node has no blockstore");
  bool maybe_file = root.codec() == kCodecDagPb || root.codec() == kCodecRaw;
  if (xfer_ && maybe_file) {
    std::vector<PeerId> asked = xfer_->xfer_peers();
    auto got = co_await xfer_->fetch_file(root, stall_timeout, progress, fetched_bytes_max, cancel,
                                          sequential);
    if (got) co_return got;
    Errc code = got.error().code;
    if (code == Errc::cancelled || code == Errc::too_large) co_return got;
    // No connected agora peer had it: the DHT's providers may be agora peers. Not when a peer
    // that speaks only bitswap is connected (the user pointed us at a Helia or kubo node).
    if (content_routing_ && !xfer_->other_peers_connected()) {
      content_routing_->find_providers(root);
      if (co_await xfer_->wait_for_new_peer(asked, kProviderWait)) {
        got = co_await xfer_->fetch_file(root, stall_timeout, progress, fetched_bytes_max, cancel,
                                         sequential);
        if (got) co_return got;
        if (got.error().code == Errc::cancelled || got.error().code == Errc::too_large)
          co_return got;
      }
    }
    // Not a file, no agora peer, or the peers went away: bitswap fetches the rest.
  }
  co_return co_await bitswap_->fetch_dag(root, stall_timeout, std::move(progress),
                                         fetched_bytes_max, std::move(cancel));
}

rt::awaitable<Result<std::shared_ptr<rt::Connection>>> Node::connect(Multiaddr addr) {
  co_return co_await swarm_->dial(std::move(addr));
}

}  // namespace node
}  // namespace agora
