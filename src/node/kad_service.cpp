// KadService: lifecycle, connection and identify hooks, the core's events, bootstrap and timers.
// The protocol is behaviour::KadBehaviour's; agora.db is in kad_persist.cpp.
#include "node/kad_service.h"

#include "crypto/random.h"
#include "host/address_filter.h"
#include "node/kad_service_internal.h"
#include "store/dht_db.h"
#include "store/pin_store.h"

namespace agora {

using kad::kProtocolId;

Result<bool> dht_server_mode(std::string_view mode, const std::vector<Multiaddr>& listen_addrs) {
  if (mode == "server") return true;
  if (mode == "client") return false;
  if (mode == "auto") return !listen_addrs.empty();
  return make_error(
      Errc::invalid_input,
      "dht mode must be \"auto\", \"server\" or \"client\", not \"" + std::string(mode) + "\"");
}

Result<KadServiceConfig> kad_service_config(const store::Config& config,
                                            const std::vector<Multiaddr>& listen_addrs,
                                            const std::filesystem::path& repo) {
  KadServiceConfig out;
  AGORA_ASSIGN(out.server, dht_server_mode(config.dht.mode, listen_addrs));
  const store::Dht& d = config.dht;
  out.kad.provider_records_max = d.provider_records_max;
  out.kad.provider_records_per_peer_max = d.provider_records_per_peer_max;
  out.kad.provider_records_per_ip_group_max = d.provider_records_per_ip_group_max;
  out.kad.add_provider_rate_per_s = double(d.add_provider_rate_per_s);
  out.kad.add_provider_burst = double(d.add_provider_burst);
  out.kad.provider_overflows_before_ban = d.provider_overflows_before_ban;
  out.abuse_ban = std::chrono::seconds(d.provider_ban_s);
  out.kad.rng_seed = crypto::random_u64();  // refresh targets; the core itself reads no entropy
  if (!repo.empty()) out.db = repo / store::kDatabaseFile;
  return out;
}

KadService::Metrics::Metrics(observe::Registry& r)
    : registry(r),
      routing_peers(r.gauge("agora_dht_routing_table_peers", "Peers in the DHT routing table")),
      provider_records(
          r.gauge("agora_dht_provider_records", "Provider records held for other peers and us")),
      value_records(r.gauge("agora_dht_value_records", "DHT value records held (pk)")),
      provided_keys(r.gauge("agora_dht_provided_keys", "Keys this node provides (republished)")),
      requests_sent(r.counter("agora_dht_requests_sent_total", "DHT requests sent to peers")),
      save_failures(
          r.counter("agora_dht_save_failures_total", "Failed writes of DHT state to agora.db")),
      peers_banned(r.counter("agora_dht_peers_banned_total",
                             "Peers banned for overflowing the provider store")),
      providers_evicted(r.counter("agora_dht_provider_records_evicted_total",
                                  "Provider records evicted to make room or from banned peers")),
      query_seconds(r.histogram("agora_dht_query_seconds", "Duration of DHT queries",
                                {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30})) {}

observe::Counter& KadService::Metrics::bad_input(const char* kind) {
  return registry.counter("agora_dht_bad_input_total",
                          "Kad messages, records or entries from peers that were refused",
                          {{"kind", kind}});
}
observe::Counter& KadService::Metrics::requests_failed(const char* reason) {
  return registry.counter("agora_dht_requests_failed_total",
                          "DHT requests that got no usable answer", {{"reason", reason}});
}
observe::Counter& KadService::Metrics::inbound(kad::MessageType type) {
  return registry.counter("agora_dht_inbound_requests_total", "DHT requests answered or refused",
                          {{"type", kad::message_type_name(type)}});
}
observe::Counter& KadService::Metrics::queries(kad::QueryKind kind, bool ok) {
  return registry.counter("agora_dht_queries_total", "DHT queries that ended",
                          {{"kind", kad::query_kind_name(kind)}, {"result", ok ? "ok" : "failed"}});
}

namespace {

behaviour::KadBehaviourConfig behaviour_config(const KadServiceConfig& c) {
  behaviour::KadBehaviourConfig b;
  b.kad = c.kad;
  b.kad.server_mode = c.server;
  b.inbound_streams_per_peer_max = c.inbound_streams_per_peer_max;
  b.inbound_idle_timeout = c.inbound_idle_timeout;
  b.dial_addrs_per_peer_max = c.dial_addrs_per_peer_max;
  b.abuse_ban = c.abuse_ban;
  return b;
}

}  // namespace

KadService::KadService(rt::Swarm& swarm, rt::BehaviourHost& host, IdentifyService& identify,
                       KadServiceConfig config, observe::Registry& metrics,
                       observe::EventRecorder& events)
    : swarm_(swarm),
      host_(host),
      identify_(identify),
      config_(std::move(config)),
      events_(events),
      metrics_(std::make_unique<Metrics>(metrics)),
      behaviour_(swarm.local_peer(), behaviour_config(config_),
                 [&identify](const PeerId& p) { return identify.peer_info(p); }),
      kad_(behaviour_.core()),
      pending_(std::make_unique<Pending>()),
      timer_wake_(std::make_unique<rt::Waiter>(swarm.executor())) {}

void KadService::set_spans(observe::SpanRecorder* spans) {
  behaviour_.set_trace_lookup([spans](BytesView key) -> std::optional<host::StreamTrace> {
    if (!spans) return std::nullopt;
    auto context = spans->context_for(key);
    if (!context) return std::nullopt;
    return host::StreamTrace{*context, spans->label_for(key)};
  });
}

KadService::~KadService() {
  stop();
  host_.remove(behaviour_);
}

std::vector<Bytes> KadService::self_addrs() const {
  std::vector<Bytes> out;
  for (const Multiaddr& a : swarm_.listen_addrs())
    if (host::is_dialable_tcp(a)) out.push_back(a.to_bytes());
  return out;
}

Status KadService::start() {
  if (started_) return {};
  kad_.set_self_addrs(self_addrs());
  AGORA_TRY(load());
  started_ = true;
  host_.add(behaviour_, [this] { deliver(); });
  // Identify outlives nothing of ours on purpose: the hook checks we still exist.
  std::weak_ptr<int> alive = alive_;
  identify_.on_identified([this, alive](const PeerId& peer, const IdentifyInfo& info) {
    if (alive.expired() || stopped_) return;
    behaviour_.identified(peer, info, rt::now());
    host_.wake(behaviour_);
  });
  const Instant now = rt::now();
  next_save_ = now + config_.save_interval;
  if (kad_.routing_table().size() > 0) bootstrap_at_ = now;
  asio::co_spawn(swarm_.executor(), timer_loop(alive_), asio::detached);
  pump();
  return {};
}

void KadService::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  timer_wake_->notify();
  for (auto& [id, op] : ops_) {
    op->error = make_error(Errc::closed, "the DHT stopped");
    op->wake.notify();
  }
  ops_.clear();
  save(true);
  writer_.join();
}

rt::awaitable<Result<kad::QueryFinished>> KadService::run(StartFn start, StepFn steps) {
  if (stopped_ || !started_) co_return make_error(Errc::closed, "the DHT is not running");
  auto id = start(kad_, rt::now());
  if (!id) {
    pump();
    co_return id.error();
  }
  Op op(swarm_.executor());
  op.steps = std::move(steps);
  ops_[*id] = &op;
  pump();  // the query may have ended already (an empty routing table)
  while (!op.finished && !op.error) co_await op.wake.wait();
  ops_.erase(*id);  // a no-op unless we stopped
  if (op.error) co_return *op.error;
  co_return std::move(*op.finished);
}

rt::awaitable<Result<kad::QueryFinished>> KadService::provide(Bytes multihash) {
  StartFn start = [this, mh = std::move(multihash)](kad::Kad& k, Instant now) {
    auto id = k.provide(mh, self_addrs(), now);
    if (id) pending_->provided_dirty = true;
    return id;
  };
  StepFn no_steps;
  co_return co_await run(start, no_steps);
}

// After a call into the core: the behaviour takes its requests, the runtime carries them out,
// and deliver() hears the outcome.
void KadService::pump() {
  if (stopped_) return;
  behaviour_.commanded(rt::now());
  host_.wake(behaviour_);
}

rt::awaitable<Result<std::shared_ptr<rt::Connection>>> KadService::connect(kad::PeerInfo peer) {
  if (auto conn = swarm_.connection_to(peer.id)) co_return conn;
  if (peer.id == swarm_.local_peer()) co_return make_error(Errc::invalid_input, "that is us");
  std::vector<Multiaddr> addrs = behaviour_.dial_addrs(peer);
  if (addrs.empty())
    co_return make_error(Errc::not_found, "no dialable address for " + peer.id.to_string());
  co_return co_await swarm_.dial_peer(peer.id, std::move(addrs));
}

// What the behaviour reported: the core's events, bad input, and what the metrics count.
void KadService::deliver() {
  while (auto e = behaviour_.poll_event()) {
    if (stopped_) continue;
    if (auto* core = std::get_if<kad::KadEvent>(&*e)) {
      on_event(*core);
    } else if (auto* bad = std::get_if<behaviour::KadBadInput>(&*e)) {
      bad_input(bad->peer, bad->kind.c_str(), bad->detail);
    } else if (std::holds_alternative<behaviour::KadRequestSent>(*e)) {
      metrics_->requests_sent.inc();
    } else if (auto* failed = std::get_if<behaviour::KadRequestFailed>(&*e)) {
      metrics_->requests_failed(failed->reason.c_str()).inc();
    } else if (auto* inbound = std::get_if<behaviour::KadInboundRequest>(&*e)) {
      metrics_->inbound(inbound->type).inc();
    } else if (auto* accepted = std::get_if<behaviour::KadProviderAccepted>(&*e)) {
      provider_accepted(accepted->from, accepted->key, accepted->now);
    }
  }
  update_gauges();
  timer_wake_->notify();  // bootstrap may be due sooner
}

void KadService::on_event(kad::KadEvent& event) {
  if (auto* step = std::get_if<kad::QueryStep>(&event)) {
    auto it = ops_.find(step->query);
    if (it != ops_.end() && it->second->steps) it->second->steps(*step);
  } else if (auto* finished = std::get_if<kad::QueryFinished>(&event)) {
    on_finished(*finished);
  } else if (auto* routing = std::get_if<kad::RoutingUpdated>(&event)) {
    pending_->routing_dirty = true;
    if (routing->added && !bootstrapped_ && !bootstrap_query_ && !bootstrap_at_)
      bootstrap_at_ = rt::now() + std::chrono::seconds(1);  // let the peers of a burst arrive
    if (routing->added && on_server_added_) {
      if (auto entry = kad_.routing_table().find(routing->peer)) {
        std::vector<Multiaddr> addrs;
        for (const Bytes& b : entry->addrs)
          if (auto a = Multiaddr::from_bytes(b)) addrs.push_back(std::move(*a));
        on_server_added_(routing->peer, addrs);
      }
    }
  } else if (auto* rejected = std::get_if<kad::InboundRejected>(&event)) {
    bad_input(rejected->from, kad::reject_kind_name(rejected->kind), rejected->reason);
  } else if (auto* bad = std::get_if<kad::PeerMisbehaved>(&event)) {
    bad_input(bad->peer, kad::answer_fault_name(bad->fault), bad->reason);
  } else if (auto* evicted = std::get_if<kad::ProviderEvicted>(&event)) {
    metrics_->providers_evicted.inc();
    if (db_) pending_->providers[{std::move(evicted->key), evicted->peer}] = std::nullopt;
  } else if (auto* banned = std::get_if<kad::PeerBanned>(&event)) {
    metrics_->peers_banned.inc();
    bad_input(banned->peer, "banned", banned->reason);  // the behaviour has the peer banned
  }
}

void KadService::on_finished(kad::QueryFinished& f) {
  metrics_->queries(f.kind, f.ok).inc();
  metrics_->query_seconds.observe(std::chrono::duration<double>(f.stats.elapsed).count());
  if (f.kind == kad::QueryKind::provide) pending_->provided_dirty = true;  // republishes too
  if (f.kind == kad::QueryKind::bootstrap) {
    if (bootstrap_query_ == f.query) bootstrap_query_.reset();
    if (f.ok) {
      bootstrapped_ = true;
    } else if (!bootstrapped_ && kad_.routing_table().size() > 0 && !bootstrap_at_) {
      bootstrap_at_ = rt::now() + config_.bootstrap_retry;
    }
  }
  auto it = ops_.find(f.query);
  if (it == ops_.end()) return;
  Op* op = it->second;
  ops_.erase(it);
  op->finished = std::move(f);
  op->wake.notify();
}

void KadService::maybe_bootstrap(Instant now) {
  if (!bootstrap_at_ || now < *bootstrap_at_) return;
  bootstrap_at_.reset();
  if (bootstrap_query_ || kad_.routing_table().size() == 0) return;
  if (auto id = kad_.bootstrap(now)) {
    bootstrap_query_ = *id;
  } else {
    bootstrap_at_ = now + config_.bootstrap_retry;  // queries_max: later
  }
}

rt::awaitable<void> KadService::timer_loop(std::weak_ptr<int> alive) {
  // The core's own timers run in the BehaviourHost; these are the adapter's.
  while (!alive.expired() && !stopped_) {
    std::optional<Instant> next = next_save_;
    if (bootstrap_at_ && *bootstrap_at_ < *next) next = bootstrap_at_;
    const Instant now = rt::now();
    if (now >= *next) {
      on_timer(now);
      continue;
    }
    // Woken early by deliver() when a bootstrap may be due sooner: look again.
    co_await timer_wake_->wait_for(*next - now);
  }
}

void KadService::on_timer(Instant now) {
  maybe_bootstrap(now);
  if (now >= next_save_) {
    save(false);
    next_save_ = now + config_.save_interval;
  }
  pump();
}

void KadService::bad_input(const PeerId& peer, const char* kind, const std::string& detail) {
  ++bad_input_total_;
  metrics_->bad_input(kind).inc();
  observe::Event e;
  e.type = observe::EventType::peer_misbehaved;
  e.peer = peer.to_string();
  e.protocol = std::string(kProtocolId);
  e.reason = kind;
  e.detail = detail;
  events_.record(std::move(e));
}

void KadService::update_gauges() {
  metrics_->routing_peers.set(double(kad_.routing_table().size()));
  metrics_->provider_records.set(double(kad_.providers().record_count()));
  metrics_->value_records.set(double(kad_.records().size()));
  metrics_->provided_keys.set(double(kad_.provided().size()));
}

}  // namespace agora
