#include "node/content_routing.h"

#include <algorithm>

#include "node/dag_walk.h"

namespace agora {

namespace {

bool worth_providing(const Cid& cid) {
  return cid.hash().code != kMhIdentity;  // the data is in the CID itself
}

// Every block of the DAG under `root` held locally, depth first, at most `max` (a block that is
// missing or does not decode ends its branch). Reads only blocks with links: raw leaves are not
// read.
std::vector<Cid> local_dag(store::Blockstore& blocks, const Cid& root, size_t max) {
  std::vector<Cid> out;
  DagWalk walk(root);
  while (!walk.done() && out.size() < max) {
    std::vector<Cid> batch = walk.take_requests();
    if (batch.empty()) break;
    for (const Cid& c : batch) {
      if (!blocks.has(c)) continue;
      Status st;
      if (c.codec() == kCodecRaw) {
        st = walk.on_block(c, {});
      } else {
        auto data = blocks.get(c);
        if (!data) continue;
        st = walk.on_block(c, *data);
      }
      if (st) out.push_back(c);
    }
  }
  if (out.size() > max) out.resize(max);
  return out;
}

}  // namespace

struct ContentRouting::Metrics {
  explicit Metrics(observe::Registry& r)
      : provides(r.counter("agora_dht_provides_total", "Keys provided (ADD_PROVIDER sent)",
                           {{"result", "ok"}})),
        provides_failed(r.counter("agora_dht_provides_total", "Keys provided (ADD_PROVIDER sent)",
                                  {{"result", "failed"}})),
        provides_dropped(r.counter("agora_dht_provides_dropped_total",
                                   "Keys not provided: the provide queue was full")),
        searches(r.counter("agora_dht_provider_searches_total",
                           "Provider lookups for wants no connected peer could serve")),
        searches_skipped(r.counter("agora_dht_provider_searches_skipped_total",
                                   "Provider lookups not started: searches_in_flight_max busy")),
        providers_found(
            r.counter("agora_dht_providers_found_total", "Providers found by provider lookups")),
        providers_connected(r.counter("agora_dht_providers_connected_total",
                                      "Providers found in the DHT that we connected to")),
        provide_queue(r.gauge("agora_dht_provide_queue", "Keys waiting to be provided")) {}
  observe::Counter& provides;
  observe::Counter& provides_failed;
  observe::Counter& provides_dropped;
  observe::Counter& searches;
  observe::Counter& searches_skipped;
  observe::Counter& providers_found;
  observe::Counter& providers_connected;
  observe::Gauge& provide_queue;
};

ContentRouting::ContentRouting(KadService& dht, store::Blockstore* blocks,
                               ContentRoutingConfig config, observe::Registry& metrics,
                               observe::EventRecorder& events)
    : dht_(dht),
      blocks_(blocks),
      config_(config),
      events_(events),
      metrics_(std::make_unique<Metrics>(metrics)) {}

ContentRouting::~ContentRouting() { stop(); }

void ContentRouting::stop() {
  if (stopped_) return;
  stopped_ = true;
  queue_.clear();
  queued_.clear();
  metrics_->provide_queue.set(0);
  walker_.join();
}

void ContentRouting::provide(const Cid& root) {
  if (stopped_) return;
  if (!config_.provide_all || !blocks_) {
    enqueue({root});
    return;
  }
  // The walk reads the disk: off the event loop, results handed back to it.
  auto executor = dht_.executor();
  std::weak_ptr<int> alive = alive_;
  const size_t max = config_.provide_queue_max;
  asio::post(walker_, [this, alive, executor, root, max, blocks = blocks_] {
    std::vector<Cid> cids = local_dag(*blocks, root, max);
    asio::post(executor, [this, alive, cids = std::move(cids)]() mutable {
      if (!alive.expired()) enqueue(std::move(cids));
    });
  });
}

void ContentRouting::enqueue(std::vector<Cid> cids) {
  if (stopped_) return;
  for (const Cid& c : cids) {
    if (!worth_providing(c)) continue;
    Bytes mh = encode_multihash(c.hash());
    if (queued_.count(mh)) continue;
    if (queue_.size() >= config_.provide_queue_max) {
      metrics_->provides_dropped.inc();
      continue;
    }
    queued_.insert(mh);
    queue_.push_back(std::move(mh));
  }
  start_provides();
}

void ContentRouting::start_provides() {
  while (!stopped_ && !queue_.empty() && provides_in_flight_ < config_.provides_in_flight_max) {
    Bytes mh = std::move(queue_.front());
    queue_.pop_front();
    queued_.erase(mh);
    ++provides_in_flight_;
    asio::co_spawn(dht_.executor(), provide_one(std::move(mh), alive_), asio::detached);
  }
  metrics_->provide_queue.set(double(queue_.size()));
}

rt::awaitable<void> ContentRouting::provide_one(Bytes multihash, std::weak_ptr<int> alive) {
  auto done = co_await dht_.provide(std::move(multihash));
  if (alive.expired()) co_return;
  --provides_in_flight_;
  if (done && done->ok) {
    metrics_->provides.inc();
  } else {
    metrics_->provides_failed.inc();
  }
  start_provides();
}

void ContentRouting::find_providers(const Cid& cid) {
  if (stopped_ || !worth_providing(cid)) return;
  const Instant now = rt::now();
  auto recent = recent_searches_.find(cid);
  if (recent != recent_searches_.end() && now - recent->second < config_.search_cooldown) return;
  if (searches_in_flight_ >= config_.searches_in_flight_max) {
    metrics_->searches_skipped.inc();
    return;
  }
  if (recent_searches_.size() >= config_.recent_searches_max) {
    std::erase_if(recent_searches_,
                  [&](const auto& kv) { return now - kv.second >= config_.search_cooldown; });
    if (recent_searches_.size() >= config_.recent_searches_max) recent_searches_.clear();
  }
  recent_searches_[cid] = now;
  ++searches_in_flight_;
  metrics_->searches.inc();
  asio::co_spawn(dht_.executor(), search(cid, alive_), asio::detached);
}

rt::awaitable<void> ContentRouting::search(Cid cid, std::weak_ptr<int> alive) {
  Bytes mh = encode_multihash(cid.hash());
  KadService::StartFn start = [mh](kad::Kad& k, Instant now) { return k.get_providers(mh, now); };
  KadService::StepFn no_steps;
  auto found = co_await dht_.run(start, no_steps);
  if (alive.expired()) co_return;
  --searches_in_flight_;
  if (!found || stopped_) co_return;
  size_t dialed = 0;
  for (const kad::PeerInfo& p : found->providers) {
    if (p.id == dht_.core().self()) continue;
    metrics_->providers_found.inc();
    if (dialed >= config_.providers_dialed_max) continue;
    ++dialed;
    asio::co_spawn(dht_.executor(), dial_provider(p, cid, alive_), asio::detached);
  }
}

rt::awaitable<void> ContentRouting::dial_provider(kad::PeerInfo provider, Cid cid,
                                                  std::weak_ptr<int> alive) {
  if (provider.addrs.empty()) {
    // Provider addresses are kept 30 min; after that the peer's own record has them.
    const PeerId target = provider.id;
    KadService::StartFn start = [target](kad::Kad& k, Instant now) {
      return k.find_node(target, now);
    };
    KadService::StepFn no_steps;
    auto found = co_await dht_.run(start, no_steps);
    if (alive.expired() || stopped_) co_return;
    if (found)
      for (const kad::PeerInfo& p : found->closest)
        if (p.id == target) provider.addrs = p.addrs;
  }
  auto conn = co_await dht_.connect(provider);
  if (alive.expired() || !conn) co_return;
  metrics_->providers_connected.inc();
  observe::Event e;
  e.type = observe::EventType::peer_discovered;
  e.peer = provider.id.to_string();
  e.addr = (*conn)->info().remote_addr.to_string();
  e.reason = "dht";
  e.detail = "provider of " + cid.to_string();
  events_.record(std::move(e));
}

}  // namespace agora
