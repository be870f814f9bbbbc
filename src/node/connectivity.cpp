#include "node/connectivity.h"

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

// A bad config is refused by start(); until then the manager runs with corrected values.
ConnectionManager make_manager(ConnectionManagerConfig c) {
  if (auto m = ConnectionManager::create(c); m.ok()) return std::move(m).value();
  c.high_water = std::max<size_t>(1, c.high_water);
  c.low_water = std::min(c.low_water, c.high_water);
  c.check_interval = std::max(c.check_interval, Duration(std::chrono::seconds(1)));
  return ConnectionManager::create(c).value();
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
  AGORA_TRY(ConnectionManager::create(out.connections));
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

  observe::Counter& discovered(PeerSource s) {
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

Connectivity::Connectivity(rt::Swarm& swarm, IdentifyService& identify, ConnectivityConfig config,
                           observe::Registry& metrics, observe::EventRecorder& events)
    : swarm_(swarm),
      identify_(identify),
      config_(std::move(config)),
      events_(events),
      metrics_(std::make_unique<Metrics>(metrics)),
      peers_(config_.peers),
      manager_(make_manager(config_.connections)) {}

Connectivity::~Connectivity() { stop(); }

Status Connectivity::start() {
  if (started_) return {};
  AGORA_TRY(ConnectionManager::create(config_.connections));
  if (!config_.peer_db.empty()) {
    AGORA_ASSIGN(db_, store::PeerDb::open(config_.peer_db));
    AGORA_ASSIGN(store::PeerDbLoad loaded,
                 db_->load({.peers_max = config_.peers.peers_max,
                            .addrs_per_peer_max = config_.peers.addrs_per_peer_max,
                            .protocols_per_peer_max = config_.peers.protocols_per_peer_max}));
    peers_.load(std::move(loaded.peers));
    peers_loaded_ = peers_.size();
  }
  started_ = true;
  // Connections that opened before start() (none in the daemon) are not tracked.
  // The swarm and identify outlive nothing of ours on purpose: the hooks check we still exist.
  std::weak_ptr<int> alive = alive_;
  swarm_.on_connection([this, alive](const std::shared_ptr<rt::Connection>& c) {
    if (!alive.expired()) on_connection(c);
  });
  swarm_.on_connection_closed([this, alive](rt::Connection& c, const Error&) {
    if (!alive.expired()) on_closed(c);
  });
  identify_.on_identified([this, alive](const PeerId& peer, const IdentifyInfo& info) {
    if (!alive.expired()) on_identified(peer, info);
  });
  // Admission never trims bootstrap peers or peers protected here to make room for a newcomer.
  swarm_.set_protection([this, alive](const PeerId& peer) {
    if (alive.expired()) return false;
    if (manager_.is_protected(peer)) return true;
    for (const Multiaddr& addr : config_.bootstrap)
      if (addr.peer_id() == peer) return true;
    return false;
  });
  if (config_.mdns) open_mdns();
  for (const Multiaddr& addr : config_.bootstrap)
    if (auto peer = addr.peer_id()) discovered(*peer, {addr}, PeerSource::bootstrap);
  timer_ = std::make_shared<asio::steady_timer>(swarm_.executor());
  next_flush_ = rt::now() + config_.flush_interval;
  asio::co_spawn(swarm_.executor(), tick_loop(alive_), asio::detached);
  return {};
}

void Connectivity::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  if (mdns_) mdns_->close();  // the goodbye
  if (timer_) timer_->cancel();
  peers_.touch_connected(unix_ms());
  flush();
  writer_.join();
}

void Connectivity::open_mdns() {
  rt::MdnsSocketConfig cfg;
  cfg.interface_address = config_.mdns_interface;
  auto socket = rt::MdnsSocket::open(swarm_.executor(), swarm_.local_peer(), cfg,
                                     [this](const mdns::MdnsEvent& e) { on_mdns(e); });
  if (!socket.ok()) {
    mdns_error_ = socket.error().message;
    return;
  }
  mdns_ = std::move(socket).value();
  mdns_interface_ = mdns_->interface_address();
  // As js-libp2p: only private and loopback addresses go out on the LAN.
  std::vector<Multiaddr> announce;
  for (const auto& a : swarm_.listen_addrs())
    if (is_private_or_loopback(a)) announce.push_back(a);
  mdns_->set_addresses(announce);
}

void Connectivity::on_mdns(const mdns::MdnsEvent& event) {
  if (const auto* found = std::get_if<mdns::PeerDiscovered>(&event)) {
    discovered(found->peer, found->addrs, PeerSource::mdns);
  } else if (const auto* gone = std::get_if<mdns::PeerExpired>(&event)) {
    metrics_->expired(gone->reason).inc();
  }
}

void Connectivity::discovered(const PeerId& peer, const std::vector<Multiaddr>& addrs,
                              PeerSource source) {
  metrics_->discovered(source).inc();
  observe::Event e;
  e.type = EventType::peer_discovered;
  e.peer = peer.to_string();
  e.reason = store::peer_source_name(source);
  e.detail = join(addrs);
  events_.record(std::move(e));
  if (peer == swarm_.local_peer()) return;
  if (!peers_.add_addrs(peer, addrs, bit(source), unix_ms())) return;  // no room
  if (swarm_.connection_to(peer) || dialing_.count(peer)) return;
  // Bootstrap peers are dialled at start regardless; a discovered peer only while there is room.
  bool room = manager_.connections() + manager_.pending_dials() < config_.connections.high_water;
  if (source == PeerSource::bootstrap || room) start_dial(peer, bit(source));
}

void Connectivity::start_dial(const PeerId& peer, uint32_t source) {
  if (stopped_ || dialing_.count(peer)) return;
  dialing_.insert(peer);
  dial_sources_[peer] = source;
  manager_.on_dial_started();
  asio::co_spawn(swarm_.executor(), dial(peer, source, alive_), asio::detached);
}

rt::awaitable<void> Connectivity::dial(PeerId peer, uint32_t, std::weak_ptr<int> alive) {
  std::vector<Multiaddr> addrs = peers_.dial_addrs(peer);
  if (addrs.size() > config_.dial_addrs_per_peer_max) addrs.resize(config_.dial_addrs_per_peer_max);
  bool connected = false;
  if (!addrs.empty()) {
    // One dial per peer (a dial in flight is joined), addresses best first, failed ones backing
    // off.
    auto conn = co_await swarm_.dial_peer(peer, addrs);
    if (alive.expired()) co_return;
    connected = conn.ok();
  } else {
    observe::Event e;
    e.type = EventType::dial_failed;
    e.peer = peer.to_string();
    e.direction = observe::Direction::outbound;
    e.reason = errc_name(Errc::unsupported);
    e.detail = "no address this node can dial (only /ip4|ip6/.../tcp/...)";
    events_.record(std::move(e));
  }
  if (!connected) peers_.on_dial_failed(peer, rt::now());
  metrics_->dials(connected).inc();
  dialing_.erase(peer);
  dial_sources_.erase(peer);
  manager_.on_dial_finished();
}

void Connectivity::on_connection(const std::shared_ptr<rt::Connection>& conn) {
  const rt::ConnectionInfo& info = conn->info();
  manager_.on_opened(info.id, info.peer, info.inbound, rt::now());
  uint32_t source = bit(PeerSource::inbound);
  if (!info.inbound) {
    auto ours = dial_sources_.find(info.peer);
    // A dial we did not start came from the user (swarm connect, ping, perf, get --peer).
    source = ours != dial_sources_.end() ? ours->second : bit(PeerSource::manual);
  }
  peers_.on_connected(info.peer, info.inbound ? Multiaddr{} : info.remote_addr, source, unix_ms());
}

void Connectivity::on_closed(rt::Connection& conn) {
  manager_.on_closed(conn.info().id);
  if (auto rtt = conn.last_rtt()) peers_.set_latency(conn.info().peer, *rtt);
  // Other connections to the peer keep it connected; PeerStore counts them.
  peers_.on_disconnected(conn.info().peer, unix_ms(), rt::now());
}

void Connectivity::on_identified(const PeerId& peer, const IdentifyInfo& info) {
  peers_.add_addrs(peer, info.listen_addrs, 0, unix_ms());
  peers_.set_identify(peer, info.protocols, info.agent_version, unix_ms());
}

void Connectivity::note_latency(const PeerId& peer, Duration rtt) { peers_.set_latency(peer, rtt); }

Status Connectivity::add_bootstrap(const Multiaddr& addr) {
  auto peer = addr.peer_id();
  if (!peer)
    return make_error(Errc::invalid_input,
                      "a bootstrap address must end with /p2p/<peer id>: " + addr.to_string());
  for (const auto& a : config_.bootstrap)
    if (a == addr) return make_error(Errc::exists, addr.to_string() + " is already listed");
  config_.bootstrap.push_back(addr);
  discovered(*peer, {addr}, PeerSource::bootstrap);
  return {};
}

bool Connectivity::remove_bootstrap(const Multiaddr& addr) {
  auto it = std::find(config_.bootstrap.begin(), config_.bootstrap.end(), addr);
  if (it == config_.bootstrap.end()) return false;
  PeerId peer = *addr.peer_id();
  config_.bootstrap.erase(it);
  bool still_listed = std::any_of(config_.bootstrap.begin(), config_.bootstrap.end(),
                                  [&](const Multiaddr& a) { return a.peer_id() == peer; });
  if (!still_listed) peers_.remove_sources(peer, bit(PeerSource::bootstrap));
  return true;
}

rt::awaitable<void> Connectivity::tick_loop(std::weak_ptr<int> alive) {
  auto timer = timer_;
  for (;;) {
    Instant wake = std::min(rt::now() + config_.tick, manager_.next_timer());
    timer->expires_at(std::chrono::time_point_cast<asio::steady_timer::duration>(wake));
    co_await timer->async_wait(rt::use_nothrow);
    if (alive.expired() || stopped_) co_return;
    tick();
  }
}

void Connectivity::tick() {
  Instant now = rt::now();
  for (const auto& conn : swarm_.connections()) {
    manager_.on_activity(conn->info().id, conn->stream_count(),
                         conn->bytes_sent() + conn->bytes_received());
    if (auto rtt = conn->last_rtt()) peers_.set_latency(conn->info().peer, *rtt);
  }
  manager_.on_timer(now);
  while (auto trim = manager_.poll_trim()) {
    // An orderly GoAway, recorded as the manager's trim.
    if (swarm_.close_connection(trim->connection, host::CloseReason::manager_trim, trim->reason))
      metrics_->trimmed.inc();
  }
  if (size_t budget = manager_.take_dial_budget()) {
    for (const PeerId& peer : peers_.dial_candidates(budget + dialing_.size(), now)) {
      if (budget == 0) break;
      if (dialing_.count(peer) || swarm_.connection_to(peer)) continue;
      start_dial(peer, 0);
      --budget;
    }
  }
  if (now >= next_flush_) {
    flush();
    next_flush_ = now + config_.flush_interval;
  }
  metrics_->peers.set(double(peers_.size()));
  metrics_->evicted.add(peers_.stats().peers_evicted - metrics_->evicted_seen);
  metrics_->evicted_seen = peers_.stats().peers_evicted;
  if (mdns_) {
    metrics_->mdns_peers.set(double(mdns_->core().known_peer_count()));
    uint64_t invalid = mdns_->core().stats().datagrams_invalid;
    metrics_->mdns_invalid.add(invalid - metrics_->invalid_seen);
    metrics_->invalid_seen = invalid;
  }
}

void Connectivity::flush() {
  if (!db_) return;
  PeerChanges changes = peers_.take_changes();
  if (changes.empty()) return;
  // The peer store is a cache: a failed write is counted, and the next change writes the peer
  // again. stop() joins the writer, so db_ and the counter outlive every write.
  asio::post(writer_,
             [db = db_.get(), changes = std::move(changes), failures = &metrics_->write_failures] {
               if (!db->save(changes.changed, changes.removed).ok()) failures->inc();
             });
}

}  // namespace agora
