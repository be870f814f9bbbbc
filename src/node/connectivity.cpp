#include "node/connectivity.h"

#include "crypto/random.h"
#include "host/address_filter.h"
#include "store/pin_store.h"

namespace agora {

using observe::EventType;
using store::bit;

namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string join(const std::vector<Multiaddr>& addrs) {
  std::string out;
  for (const auto& a : addrs) out += (out.empty() ? "" : " ") + a.to_string();
  return out;
}

const char* expiry_name(mdns::ExpiryReason r) {
  switch (r) {
    case mdns::ExpiryReason::ttl:
      return "ttl";
    case mdns::ExpiryReason::goodbye:
      return "goodbye";
    case mdns::ExpiryReason::evicted:
      return "evicted";
  }
  return "other";
}

}  // namespace

std::string private_mdns_service_name(const std::string& fingerprint) {
  return "_p2p-" + fingerprint + "._udp.local";
}

Result<ConnectivityConfig> connectivity_config(const store::Config& c,
                                               const std::filesystem::path& repo) {
  ConnectivityConfig out;
  out.mdns = c.discovery.mdns;
  out.mdns_interface = c.discovery.mdns_interface;
  for (const auto& text : c.discovery.bootstrap) {
    AGORA_ASSIGN(Multiaddr addr, Multiaddr::parse(text));
    out.bootstrap.push_back(std::move(addr));
  }
  out.peers.peers_max = c.peerstore.peers_max;
  out.peers.addrs_per_peer_max = c.peerstore.addrs_per_peer_max;
  out.connections.low_water = c.connections.low_water;
  out.connections.high_water = c.connections.high_water;
  out.connections.grace_period = std::chrono::milliseconds(c.connections.grace_period_ms);
  AGORA_TRY(host::ConnectionManager::create(out.connections));
  if (!repo.empty()) out.peer_db = repo / store::kDatabaseFile;
  return out;
}

struct Connectivity::Metrics {
  explicit Metrics(observe::Registry& r)
      : registry(r),
        peers(r.gauge("agora_peerstore_peers", "Peers in the peer store")),
        evicted(r.counter("agora_peerstore_evictions_total",
                          "Peers forgotten to stay within peerstore.peers_max")),
        write_failures(r.counter("agora_peerstore_write_failures_total",
                                 "Failed writes of the peer store to agora.db")),
        trimmed(r.counter("agora_connmgr_trimmed_total",
                          "Connections closed by the connection manager over the high watermark")),
        mdns_peers(r.gauge("agora_mdns_known_peers", "Peers currently announced over mDNS")),
        mdns_invalid(r.counter("agora_mdns_datagrams_invalid_total",
                               "mDNS datagrams that were not a DNS message within limits")) {}

  observe::Counter& discovered(host::PeerSource s) {
    return registry.counter("agora_peers_discovered_total", "Peers learned, by how",
                            {{"source", store::peer_source_name(s)}});
  }
  observe::Counter& expired(mdns::ExpiryReason r) {
    return registry.counter("agora_mdns_peers_expired_total", "mDNS peers no longer announced",
                            {{"reason", expiry_name(r)}});
  }
  observe::Counter& dials(bool ok) {
    return registry.counter("agora_connmgr_dials_total",
                            "Dials started by discovery and the connection manager",
                            {{"result", ok ? "connected" : "failed"}});
  }

  observe::Registry& registry;
  observe::Gauge& peers;
  observe::Counter& evicted;
  observe::Counter& write_failures;
  observe::Counter& trimmed;
  observe::Gauge& mdns_peers;
  observe::Counter& mdns_invalid;
  uint64_t evicted_seen = 0;
  uint64_t invalid_seen = 0;
};

Connectivity::Connectivity(rt::Swarm& swarm, rt::BehaviourHost& host, IdentifyService& identify,
                           ConnectivityConfig config, observe::Registry& metrics,
                           observe::EventRecorder& events)
    : swarm_(swarm),
      host_(host),
      identify_(identify),
      config_(std::move(config)),
      events_(events),
      metrics_(std::make_unique<Metrics>(metrics)) {
  // Each tick the behaviour samples what only the runtime knows: streams, bytes, round trips.
  auto sample = [&swarm](host::ConnectionManager& manager, host::PeerStore& peers) {
    for (const auto& conn : swarm.connections()) {
      manager.on_activity(conn->info().id, conn->stream_count(),
                          conn->bytes_sent() + conn->bytes_received());
      if (auto rtt = conn->last_rtt()) peers.set_latency(conn->info().peer, *rtt);
    }
  };
  auto behaviour = behaviour::ConnectivityBehaviour::create(
      swarm.local_peer(),
      {.bootstrap = config_.bootstrap,
       .peers = config_.peers,
       .connections = config_.connections,
       .tick = config_.tick,
       .dial_addrs_per_peer_max = config_.dial_addrs_per_peer_max},
      unix_ms, sample);
  if (behaviour) {
    behaviour_ = std::move(behaviour).value();
  } else {
    config_error_ = behaviour.error();
  }
}

Connectivity::~Connectivity() {
  stop();
  *alive_ = false;
  if (mdns_) host_.remove(*mdns_);
  if (started_) {
    host_.remove(*behaviour_);
    swarm_.set_protection({});
  }
}

Status Connectivity::start() {
  if (started_) return {};
  if (!behaviour_) return config_error_;
  if (!config_.peer_db.empty()) {
    AGORA_ASSIGN(db_, store::PeerDb::open(config_.peer_db));
    AGORA_ASSIGN(store::PeerDbLoad loaded,
                 db_->load({.peers_max = config_.peers.peers_max,
                            .addrs_per_peer_max = config_.peers.addrs_per_peer_max,
                            .protocols_per_peer_max = config_.peers.protocols_per_peer_max}));
    behaviour_->load(std::move(loaded.peers));
    peers_loaded_ = behaviour_->peers().size();
  }
  started_ = true;
  identify_.on_identified([this, alive = alive_](const PeerId& peer, const IdentifyInfo& info) {
    if (*alive) behaviour_->identified(peer, info.listen_addrs, info.protocols, info.agent_version);
  });
  // Admission never trims bootstrap peers or peers protected here to make room for a newcomer.
  swarm_.set_protection([this](const PeerId& peer) { return behaviour_->is_protected(peer); });
  next_flush_ = rt::now() + config_.flush_interval;
  host_.add(*behaviour_, [this] { deliver(); });
  if (config_.mdns) open_mdns();
  behaviour_->start(rt::now());
  host_.wake(*behaviour_);
  return {};
}

void Connectivity::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  if (mdns_) {
    mdns_->stop(rt::now());
    host_.wake(*mdns_);  // sends the goodbye
  }
  behaviour_->stop();
  flush();
  writer_.join();
}

void Connectivity::open_mdns() {
  auto entropy = [](std::span<uint8_t> out) { crypto::random_bytes(out.data(), out.size()); };
  behaviour::MdnsBehaviourConfig mdns_config{.interface_address = config_.mdns_interface};
  mdns_config.core.service_name = config_.mdns_service_name;
  auto mdns = behaviour::MdnsBehaviour::create(swarm_.local_peer(), mdns_config, entropy);
  if (!mdns) {
    mdns_error_ = mdns.error().message;
    return;
  }
  // As js-libp2p: only private and loopback addresses go out on the LAN.
  std::vector<Multiaddr> announce;
  for (const auto& a : swarm_.listen_addrs())
    if (host::is_private_or_loopback(a)) announce.push_back(a);
  (*mdns)->set_addresses(announce);
  host_.add(**mdns, [this] {
    while (auto event = mdns_ ? mdns_->poll_event() : std::nullopt) on_mdns(*event);
  });
  if (!(*mdns)->running()) {  // the host could not join the group
    mdns_error_ = (*mdns)->error();
    host_.remove(**mdns);
    return;
  }
  mdns_ = std::move(mdns).value();
  mdns_interface_ = mdns_->interface_address();
}

void Connectivity::on_mdns(const mdns::MdnsEvent& event) {
  if (const auto* found = std::get_if<mdns::PeerDiscovered>(&event)) {
    behaviour_->discovered(found->peer, found->addrs, host::PeerSource::mdns, rt::now());
    host_.wake(*behaviour_);
  } else if (const auto* gone = std::get_if<mdns::PeerExpired>(&event)) {
    metrics_->expired(gone->reason).inc();
  }
}

Status Connectivity::add_bootstrap(const Multiaddr& addr) {
  AGORA_TRY(behaviour_->add_bootstrap(addr, rt::now()));
  host_.wake(*behaviour_);
  return {};
}

bool Connectivity::remove_bootstrap(const Multiaddr& addr) {
  return behaviour_->remove_bootstrap(addr);
}

// After each batch of the behaviour's actions: its events become metrics and recorded events,
// the gauges follow, and the peer store goes to disk when a flush is due.
void Connectivity::deliver() {
  while (auto event = behaviour_->poll_event()) record(*event);
  const host::PeerStore& peers = behaviour_->peers();
  metrics_->peers.set(double(peers.size()));
  metrics_->evicted.add(peers.stats().peers_evicted - metrics_->evicted_seen);
  metrics_->evicted_seen = peers.stats().peers_evicted;
  if (mdns_) {
    metrics_->mdns_peers.set(double(mdns_->core().known_peer_count()));
    uint64_t invalid = mdns_->core().stats().datagrams_invalid;
    metrics_->mdns_invalid.add(invalid - metrics_->invalid_seen);
    metrics_->invalid_seen = invalid;
  }
  if (Instant now = rt::now(); now >= next_flush_ && !stopped_) {
    flush();
    next_flush_ = now + config_.flush_interval;
  }
}

void Connectivity::record(const behaviour::ConnectivityEvent& event) {
  if (const auto* found = std::get_if<behaviour::PeerFound>(&event)) {
    metrics_->discovered(found->source).inc();
    observe::Event e;
    e.type = EventType::peer_discovered;
    e.peer = found->peer.to_string();
    e.reason = store::peer_source_name(found->source);
    e.detail = join(found->addrs);
    events_.record(std::move(e));
  } else if (const auto* dial = std::get_if<behaviour::DialOutcome>(&event)) {
    metrics_->dials(dial->connected).inc();
    if (!dial->no_address) return;
    observe::Event e;
    e.type = EventType::dial_failed;
    e.peer = dial->peer.to_string();
    e.direction = observe::Direction::outbound;
    e.reason = errc_name(Errc::unsupported);
    e.detail = "no address this node can dial (only /ip4|ip6/.../tcp/...)";
    events_.record(std::move(e));
  } else if (std::holds_alternative<behaviour::ConnectionTrimmed>(event)) {
    metrics_->trimmed.inc();
  }
}

void Connectivity::flush() {
  if (!db_) return;
  host::PeerChanges changes = behaviour_->peers().take_changes();
  if (changes.empty()) return;
  // The peer store is a cache: a failed write is counted, and the next change writes the peer
  // again. stop() joins the writer, so db_ and the counter outlive every write.
  asio::post(writer_,
             [db = db_.get(), changes = std::move(changes), failures = &metrics_->write_failures] {
               if (!db->save(changes.changed, changes.removed).ok()) failures->inc();
             });
}

}  // namespace agora
