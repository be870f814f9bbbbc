// agora::Node: opening and closing a node, its peers and connections, and what it observes.
// Content operations are in node_content.cpp, the DHT's in node_dht.cpp.
#include <chrono>

#include "public/node_impl.h"
#include "public/views.h"

namespace agora {

namespace {

Error no_connectivity() {
  return make_error(Errc::not_found, "this node runs without discovery and a peer store");
}

// Interrupted exports a killed node left behind: removed before anything new is exported, each
// recorded as an event.
void remove_partial_outputs(Content& content, observe::EventRecorder& events, StartReport& report) {
  auto left = content.remove_partial_outputs();
  if (!left) {
    report.partial_outputs_error = left.error().message;
    return;
  }
  for (const store::LeftoverPartial& p : *left) {
    observe::Event e;
    e.type = observe::EventType::partial_output_removed;
    e.reason = p.removed ? "removed" : "not_removed";
    e.detail = p.path.string() + (p.error.empty() ? "" : ": " + p.error);
    events.record(std::move(e));
    report.partial_outputs.push_back({p.path.string(), p.removed, p.error});
  }
}

}  // namespace

Node::Impl::Impl(NodeOptions options, store::Repo repo, store::RepoLock lock,
                 std::unique_ptr<Content> content)
    : options_(std::move(options)),
      repo_(std::move(repo)),
      lock_(std::move(lock)),
      content_(std::move(content)) {
  if (!options_.inline_muxer) repo_.config.noise_inline_muxer = false;
  if (options_.upload_bytes_per_second)
    repo_.config.limits.upload_bytes_per_second = *options_.upload_bytes_per_second;
  if (options_.download_bytes_per_second)
    repo_.config.limits.download_bytes_per_second = *options_.download_bytes_per_second;
  node_ = std::make_unique<node::Node>(io_, repo_.identity, repo_.config, &content_->blocks(),
                                       repo_.swarm_key);
  api_ = ApiSettings{repo_.config.api_address, repo_.api_token, repo_.config.api};
}

// The loop is not running yet: start-up touches node state from this thread alone.
Status Node::Impl::start() {
  remove_partial_outputs(*content_, node_->events(), report_);
  AGORA_TRY(node_->start());
  report_.private_network = node_->private_network();
  const store::Limits& limits = repo_.config.limits;
  report_.upload_bytes_per_second = limits.upload_bytes_per_second;
  report_.download_bytes_per_second = limits.download_bytes_per_second;
  report_.upload_bytes_per_second_per_peer = limits.upload_bytes_per_second_per_peer;
  report_.download_bytes_per_second_per_peer = limits.download_bytes_per_second_per_peer;
  if (options_.connectivity) {
    AGORA_TRY(node_->start_connectivity(options_.repo));
    Connectivity& c = *node_->connectivity();
    report_.peers_loaded = c.peers_loaded();
    report_.mdns_running = c.mdns_running();
    report_.mdns_interface = c.mdns_interface();
    report_.mdns_error = c.mdns_error();
    report_.mdns_service = c.mdns_service_name();
    for (const auto& addr : c.bootstrap()) report_.bootstrap.push_back(addr.to_string());
  }
  if (options_.dht) {
    AGORA_TRY(node_->start_dht(options_.repo));
    KadService& dht = *node_->dht();
    report_.dht_server_mode = dht.server_mode();
    report_.routing_loaded = dht.routing_loaded();
    report_.providers_loaded = dht.providers_loaded();
    report_.provided_loaded = dht.provided_loaded();
  }
  for (const auto& addr : node_->swarm().listen_addrs())
    report_.listen_addrs.push_back(addr.with_peer_id(node_->peer_id()).to_string());
  work_.emplace(io_.get_executor());
  if (options_.own_loop_thread) loop_ = std::thread([this] { run_loop(); });
  return {};
}

void Node::Impl::run_loop() {
  loop_running_ = true;
  io_.run();
  loop_running_ = false;
}

void Node::Impl::stop_loop() {
  asio::post(io_, [this] {
    work_.reset();
    io_.stop();
  });
}

void Node::Impl::stop_networking() {
  if (networking_stopped_) return;
  networking_stopped_ = true;
  if (loop_running_) {
    run_on_loop<bool>(io_, [this] {
      node_->stop();
      return true;
    });
  } else {
    node_->stop();  // no loop runs: nothing else touches the node
  }
}

Node::Impl::~Impl() {
  stop_networking();
  if (loop_.joinable()) {
    stop_loop();
    loop_.join();
  }
}

void Node::Impl::announce(const Cid& root) {
  asio::post(io_, [this, root] { node_->content_added(root); });
}

Result<std::unique_ptr<Node>> Node::open(const NodeOptions& options) {
  AGORA_ASSIGN(store::Repo repo, store::open_repo(options.repo));
  AGORA_ASSIGN(store::RepoLock lock, store::RepoLock::acquire(options.repo));
  AGORA_ASSIGN(std::unique_ptr<Content> content, Content::open(options.repo));
  auto impl = std::make_unique<Impl>(options, std::move(repo), std::move(lock), std::move(content));
  AGORA_TRY(impl->start());
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() = default;

const StartReport& Node::start_report() const { return impl_->report_; }
const ApiSettings& Node::api_settings() const { return impl_->api_; }
const std::filesystem::path& Node::repo() const { return impl_->options_.repo; }
std::string Node::peer_id() const { return impl_->node_->peer_id().to_string(); }
void Node::stop_networking() { impl_->stop_networking(); }
void Node::run_loop() { impl_->run_loop(); }
void Node::stop_loop() { impl_->stop_loop(); }

// --- Peers and connections

Json Node::id() {
  return run_on_loop<Json>(impl_->io_, [this] { return id_json(*impl_->node_); });
}

Json Node::peers() {
  return run_on_loop<Json>(impl_->io_, [this] { return peers_json(*impl_->node_); });
}

Json Node::swarm_limits() {
  return run_on_loop<Json>(impl_->io_, [this] { return swarm_limits_json(*impl_->node_); });
}

Result<Json> Node::known_peers() {
  return run_on_loop<Result<Json>>(impl_->io_, [this]() -> Result<Json> {
    if (!impl_->node_->connectivity()) return no_connectivity();
    return known_peers_json(*impl_->node_);
  });
}

// A connection already open to the address's peer is used, not a new dial: the answer says so
// ("existing": true) and which address that connection has.
Result<Json> Node::connect(std::string_view multiaddr) {
  AGORA_ASSIGN(Multiaddr addr, Multiaddr::parse(multiaddr));
  node::Node& n = *impl_->node_;
  return call_on_loop<Result<Json>>(impl_->io_, [&n, addr]() -> rt::awaitable<Result<Json>> {
    std::optional<PeerId> peer = addr.peer_id();
    bool existing = peer && n.swarm().connection_to(*peer) != nullptr;
    auto conn = co_await n.connect(addr);
    if (!conn) co_return conn.error();
    Json out = connected_json(**conn);
    out["existing"] = existing;
    out["requested"] = addr.to_string();
    co_return out;
  });
}

// `target`: a multiaddr, or a peer id whose addresses come from the peer store, else from a DHT
// lookup (none needed when a connection to it is open).
Result<std::shared_ptr<rt::Connection>> Node::Impl::connect_target(std::string_view target) {
  if (target.starts_with("/")) {
    AGORA_ASSIGN(Multiaddr addr, Multiaddr::parse(target));
    return call_on_loop<Result<std::shared_ptr<rt::Connection>>>(
        io_, [this, addr]() { return node_->connect(addr); });
  }
  AGORA_ASSIGN(PeerId peer, PeerId::parse(target));
  auto known = run_on_loop<std::pair<bool, std::vector<Multiaddr>>>(io_, [this, &peer] {
    node::Node& n = *node_;
    std::vector<Multiaddr> addrs;
    if (n.connectivity()) addrs = n.connectivity()->peers().dial_addrs(peer);
    return std::pair{n.swarm().connection_to(peer) != nullptr, addrs};
  });
  std::vector<Multiaddr> addrs = std::move(known.second);
  if (!known.first && addrs.empty()) {  // not in the peer store: ask the DHT where it is
    auto found = find_peer_addrs(peer);
    if (!found)
      return make_error(Errc::not_found, "no address known for " + peer.to_string() +
                                             ": not in the peer store, and the DHT lookup "
                                             "found nothing (" +
                                             found.error().message + ")");
    addrs = std::move(*found);
  }
  return call_on_loop<Result<std::shared_ptr<rt::Connection>>>(
      io_, [this, peer, addrs]() { return node_->swarm().dial_peer(peer, addrs); });
}

Result<Json> Node::disconnect(std::string_view peer_id) {
  AGORA_ASSIGN(PeerId peer, PeerId::parse(peer_id));
  size_t closed = run_on_loop<size_t>(impl_->io_, [this, &peer] {
    return impl_->node_->swarm().disconnect(peer, "disconnected by the user");
  });
  if (closed == 0) return make_error(Errc::not_found, "not connected to " + peer.to_string());
  return Json{{"peer", peer.to_string()}, {"connections_closed", closed}};
}

Result<PingReport> Node::ping(std::string_view target, int count) {
  AGORA_ASSIGN(std::shared_ptr<rt::Connection> connection, impl_->connect_target(target));
  node::Node& n = *impl_->node_;
  return call_on_loop<Result<PingReport>>(
      impl_->io_, [&n, connection, count]() -> rt::awaitable<Result<PingReport>> {
        auto rtts = co_await n.ping().ping(connection, count);
        if (!rtts) co_return rtts.error();
        if (Connectivity* c = n.connectivity(); c && !rtts->empty())
          c->note_latency(connection->info().peer, rtts->back());
        co_return ping_report(connection->info().peer, *rtts);
      });
}

Result<Json> Node::perf(std::string_view target, uint64_t upload_bytes, uint64_t download_bytes) {
  AGORA_ASSIGN(std::shared_ptr<rt::Connection> connection, impl_->connect_target(target));
  node::Node& n = *impl_->node_;
  return call_on_loop<Result<Json>>(
      impl_->io_, [&n, connection, upload_bytes, download_bytes]() -> rt::awaitable<Result<Json>> {
        auto r = co_await n.perf().run(connection, upload_bytes, download_bytes);
        if (!r) co_return r.error();
        co_return perf_json(connection->info().peer, *r);
      });
}

Result<std::vector<std::string>> Node::bootstrap_list() {
  using List = Result<std::vector<std::string>>;
  return run_on_loop<List>(impl_->io_, [this]() -> List {
    Connectivity* c = impl_->node_->connectivity();
    if (!c) return no_connectivity();
    std::vector<std::string> out;
    for (const auto& a : c->bootstrap()) out.push_back(a.to_string());
    return out;
  });
}

Result<bool> Node::bootstrap_add(std::string_view multiaddr) {
  AGORA_ASSIGN(Multiaddr addr, Multiaddr::parse(multiaddr));
  return run_on_loop<Result<bool>>(impl_->io_, [this, &addr]() -> Result<bool> {
    Connectivity* c = impl_->node_->connectivity();
    if (!c) return no_connectivity();
    Status st = c->add_bootstrap(addr);
    if (!st && st.error().code != Errc::exists) return st.error();
    return st.ok();
  });
}

Result<bool> Node::bootstrap_remove(std::string_view multiaddr) {
  AGORA_ASSIGN(Multiaddr addr, Multiaddr::parse(multiaddr));
  return run_on_loop<Result<bool>>(impl_->io_, [this, &addr]() -> Result<bool> {
    Connectivity* c = impl_->node_->connectivity();
    if (!c) return no_connectivity();
    return c->remove_bootstrap(addr);
  });
}

Result<ProtectResult> Node::protect(std::string_view peer_id, const std::string& tag,
                                    bool protect) {
  AGORA_ASSIGN(PeerId peer, PeerId::parse(peer_id));
  using Out = Result<ProtectResult>;
  return run_on_loop<Out>(impl_->io_, [this, &peer, &tag, protect]() -> Out {
    Connectivity* c = impl_->node_->connectivity();
    if (!c) return no_connectivity();
    if (protect) {
      AGORA_TRY(c->manager().protect(peer, tag));
    } else {
      c->manager().unprotect(peer, tag);
    }
    return ProtectResult{peer.to_string(), c->manager().is_protected(peer)};
  });
}

// --- Observing

Json Node::events(std::optional<uint64_t> since, size_t limit) {
  int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return observe::to_json(impl_->node_->events().read(since, limit, now_ns));
}

static_assert(Node::kMetricsContentType == observe::kPrometheusContentType);

std::string Node::metrics_text() { return impl_->node_->metrics().render_prometheus(); }

Json Node::metrics_json() { return impl_->node_->metrics().to_json(); }

void Node::count(const std::string& name, const std::string& help,
                 const std::map<std::string, std::string>& labels, uint64_t n) {
  impl_->node_->metrics().counter(name, help, labels).add(n);
}

void Node::record_limit_hit(const std::string& protocol, const std::string& reason,
                            const std::string& detail) {
  observe::Event e;
  e.type = observe::EventType::limit_hit;
  e.direction = observe::Direction::inbound;
  e.protocol = protocol;
  e.reason = reason;
  e.detail = detail;
  impl_->node_->events().record(std::move(e));
}

}  // namespace agora
