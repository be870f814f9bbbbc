#include "runtime/sim/content_sim.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "behaviour/bitswap_behaviour.h"
#include "behaviour/connection_manager_behaviour.h"
#include "behaviour/kad_behaviour.h"
#include "codec/dag_pb.h"
#include "runtime/sim/churn_model.h"
#include "runtime/sim/identity.h"
#include "runtime/sim/memory_network.h"
#include "runtime/sim/stats.h"
#include "runtime/sim/trace.h"

namespace agora::sim {

namespace {

using NodeId = MemoryNetwork::NodeId;
using behaviour::ConnectionManagerBehaviour;
// How often a node with an empty routing table dials the bootstrap nodes again (the node's
// Connectivity does the same when it is under its low watermark).
constexpr Duration kRejoinInterval = std::chrono::seconds(30);

// A node's blocks. A liar answers for its blocks with their first byte flipped: it never
// checks, so what it sends fails the receiver's hash check.
class SimBlocks final : public behaviour::BitswapBlocks {
 public:
  std::map<Cid, Bytes> held;
  bool liar = false;
  std::optional<size_t> block_size(const Cid& cid) override {
    auto it = held.find(cid);
    if (it == held.end()) return std::nullopt;
    return it->second.size();
  }
  std::optional<Bytes> read_checked(const Cid& cid) override {
    auto it = held.find(cid);
    if (it == held.end()) return std::nullopt;
    Bytes out = it->second;
    if (liar && !out.empty()) out[0] ^= 0xff;
    return out;
  }
};

enum class Role : uint8_t { plain, bootstrap, publisher, fetcher, liar };

struct Item {
  Cid root;
  std::vector<std::pair<Cid, Bytes>> blocks;  // the root's first, then the leaves
};

struct Fetch {
  size_t item = 0;
  Instant started{};
  uint64_t rounds = 0;
  std::optional<kad::QueryId> query;
  std::set<Cid> missing;
  bool root_received = false;
  bool ended = false;
  std::set<PeerId> tried;  // providers dialled
};

struct SimNode {
  PeerId peer;
  Role role = Role::plain;
  identify::IdentifyInfo info;  // what identify would tell: a DHT server at its address
  SimBlocks blocks;
  std::unique_ptr<behaviour::KadBehaviour> kad;
  std::unique_ptr<behaviour::BitswapBehaviour> bitswap;
  std::unique_ptr<behaviour::ConnectionManagerBehaviour> connections;
  std::optional<Fetch> fetch;
};

class ContentSim {
 public:
  ContentSim(const Scenario& s, const ContentOptions& o)
      : s_(s),
        options_(o),
        c_(*s.content),
        rng_(s.seed),
        net_(MemoryNetworkConfig{.latency = (s.link.latency_min + s.link.latency_max) / 2}),
        churn_(s.churn) {
    if (!o.trace_path.empty()) trace_status_ = trace_.open_file(o.trace_path);
  }

  Result<ContentResult> run();

 private:
  Instant now() const { return net_.now(); }
  double at_s() const { return double(now().time_since_epoch().count()) / 1e9; }
  void build();
  void assign_roles();
  void join(NodeId n);
  void keep_joined(NodeId n);
  void publish(NodeId n, size_t item);
  void lie(NodeId n, size_t item);
  void start_fetch(NodeId n);
  void dht_round(NodeId n);
  void end_fetch(NodeId n, bool completed);
  void on_kad(NodeId n);
  void on_bitswap(NodeId n);
  void on_block(NodeId n, bitswap::BlockReceived& b);
  void churn(NodeId n, bool going_offline);
  Item make_item();
  bool is_liar(const PeerId& p) const {
    auto it = by_peer_.find(p);
    return it != by_peer_.end() && nodes_[it->second]->role == Role::liar;
  }
  void kad_command(NodeId n) {
    nodes_[n]->kad->commanded(now());
    net_.wake(n, *nodes_[n]->kad);
  }
  void bitswap_command(NodeId n) {
    nodes_[n]->bitswap->commanded(now());
    net_.wake(n, *nodes_[n]->bitswap);
  }

  const Scenario& s_;
  ContentOptions options_;
  const ContentParams& c_;
  Prng rng_;
  MemoryNetwork net_;
  ChurnModel churn_;
  Trace trace_;
  Status trace_status_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::map<PeerId, NodeId> by_peer_;
  std::vector<Item> items_;
  std::vector<double> fetch_seconds_;
  std::set<PeerId> liars_banned_;
  ContentResult r_;
};

void ContentSim::build() {
  for (uint64_t i = 0; i < s_.nodes; ++i) {
    auto node = std::make_unique<SimNode>();
    node->peer = make_peer_id(rng_);
    NodeId id = net_.add_node(node->peer);
    node->info.protocols = {std::string(kad::kProtocolId), std::string(bitswap::kProtocolId)};
    node->info.listen_addrs = {MemoryNetwork::address_of(id)};
    behaviour::KadBehaviourConfig kc;
    kc.kad.k = s_.kad.k;
    kc.kad.alpha = s_.kad.alpha;
    kc.kad.disjoint_paths = s_.kad.disjoint_paths;
    kc.kad.request_timeout = s_.kad.request_timeout;
    kc.kad.refresh_interval = s_.kad.refresh_interval;
    kc.kad.rng_seed = rng_.next_u64();
    kc.kad.query_step_events = false;
    node->kad = std::make_unique<behaviour::KadBehaviour>(
        node->peer, kc, [this](const PeerId& p) -> const identify::IdentifyInfo* {
          auto it = by_peer_.find(p);
          return it == by_peer_.end() ? nullptr : &nodes_[it->second]->info;
        });
    node->kad->core().set_self_addrs({MemoryNetwork::address_of(id).to_bytes()});
    node->bitswap = std::make_unique<behaviour::BitswapBehaviour>(
        behaviour::BitswapBehaviourConfig{}, node->blocks);
    // The node's connection manager (default watermarks 32..96) keeps popular nodes, the
    // bootstrap nodes first, from filling up to their admission limit.
    node->connections = std::move(ConnectionManagerBehaviour::create({}).value());
    by_peer_[node->peer] = id;
    net_.add_behaviour(id, *node->kad, [this, id] { on_kad(id); });
    net_.add_behaviour(id, *node->bitswap, [this, id] { on_bitswap(id); });
    net_.add_behaviour(id, *node->connections);
    nodes_.push_back(std::move(node));
  }
}

// The first nodes bootstrap; then publishers, fetchers and liars, drawn at random from the rest.
void ContentSim::assign_roles() {
  std::vector<NodeId> rest;
  for (NodeId i = 0; i < nodes_.size(); ++i) {
    if (i < s_.bootstrap_nodes) {
      nodes_[i]->role = Role::bootstrap;
    } else {
      rest.push_back(i);
    }
  }
  for (size_t i = rest.size(); i > 1; --i) std::swap(rest[i - 1], rest[rng_.uniform_u64(i)]);
  const auto liars = uint64_t(std::floor(c_.liar_fraction * double(s_.nodes)));
  size_t next = 0;
  auto take = [&](uint64_t count, Role role) {
    for (uint64_t i = 0; i < count; ++i) nodes_[rest[next++]]->role = role;
  };
  take(c_.publishers, Role::publisher);
  take(c_.fetchers, Role::fetcher);
  take(liars, Role::liar);
  r_.liars = liars;
  r_.publishers = c_.publishers;
}

void ContentSim::join(NodeId n) {
  for (NodeId b = 0; b < s_.bootstrap_nodes; ++b)
    if (b != n) (void)net_.connect(n, b);
  if (auto q = nodes_[n]->kad->core().bootstrap(now()); q) kad_command(n);
}

void ContentSim::keep_joined(NodeId n) {
  if (net_.online(n) && nodes_[n]->kad->core().routing_table().size() == 0) {
    trace_.line("{:.3f} rejoin {}", at_s(), n);
    join(n);
  }
  net_.after(kRejoinInterval, [this, n] { keep_joined(n); });
}

Item ContentSim::make_item() {
  Item item;
  PbNode root;
  std::vector<std::pair<Cid, Bytes>> leaves;
  for (uint64_t i = 0; i < c_.blocks; ++i) {
    Bytes data(c_.block_bytes);
    for (size_t j = 0; j < data.size(); j += 8) {
      uint64_t v = rng_.next_u64();
      for (size_t k = 0; k < 8 && j + k < data.size(); ++k) data[j + k] = uint8_t(v >> (8 * k));
    }
    Cid cid = Cid::of(data);
    root.links.push_back({cid, std::string(), data.size()});
    leaves.emplace_back(cid, std::move(data));
  }
  Bytes root_block = encode_dag_pb(root);
  item.root = Cid::of(root_block, kCodecDagPb);
  item.blocks.emplace_back(item.root, std::move(root_block));
  for (auto& l : leaves) item.blocks.push_back(std::move(l));
  return item;
}

void ContentSim::publish(NodeId n, size_t item) {
  for (const auto& [cid, data] : items_[item].blocks) nodes_[n]->blocks.held[cid] = data;
  Bytes mh = encode_multihash(items_[item].root.hash());
  if (nodes_[n]->kad->core().provide(mh, {MemoryNetwork::address_of(n).to_bytes()}, now()))
    kad_command(n);
  trace_.line("{:.3f} provide {} item {}", at_s(), n, item);
}

void ContentSim::lie(NodeId n, size_t item) {
  nodes_[n]->blocks.liar = true;
  publish(n, item);
}

void ContentSim::start_fetch(NodeId n) {
  SimNode& node = *nodes_[n];
  if (!net_.online(n)) return;
  Fetch f;
  f.item = size_t(rng_.uniform_u64(items_.size()));
  f.started = now();
  node.fetch = f;
  ++r_.fetches.attempted;
  trace_.line("{:.3f} fetch {} item {}", at_s(), n, f.item);
  const Cid root = items_[f.item].root;
  (void)node.bitswap->client().want(std::span<const Cid>(&root, 1), now());
  bitswap_command(n);
  dht_round(n);
  net_.after(c_.fetch_timeout, [this, n] {
    if (nodes_[n]->fetch && !nodes_[n]->fetch->ended) end_fetch(n, false);
  });
}

void ContentSim::dht_round(NodeId n) {
  Fetch& f = *nodes_[n]->fetch;
  if (f.ended || f.query || f.rounds >= c_.rounds_max) return;
  ++f.rounds;
  ++r_.fetches.dht_rounds;
  auto q =
      nodes_[n]->kad->core().get_providers(encode_multihash(items_[f.item].root.hash()), now());
  if (!q) return;
  f.query = *q;
  kad_command(n);
}

void ContentSim::end_fetch(NodeId n, bool completed) {
  Fetch& f = *nodes_[n]->fetch;
  f.ended = true;
  if (completed) {
    ++r_.fetches.completed;
    fetch_seconds_.push_back(std::chrono::duration<double>(now() - f.started).count());
  } else {
    ++r_.fetches.failed;
  }
  trace_.line("{:.3f} fetch {} {}", at_s(), n, completed ? "completed" : "failed");
}

void ContentSim::on_kad(NodeId n) {
  SimNode& node = *nodes_[n];
  while (auto e = node.kad->poll_event()) {
    auto* core = std::get_if<kad::KadEvent>(&*e);
    if (!core) continue;
    auto* done = std::get_if<kad::QueryFinished>(core);
    if (done && done->kind == kad::QueryKind::provide) {
      trace_.line("{:.3f} provided {} to {} ({})", at_s(), n, done->stored, done->error);
      continue;
    }
    if (!done || !node.fetch || node.fetch->query != done->query) continue;
    Fetch& f = *node.fetch;
    f.query.reset();
    if (f.ended) continue;
    size_t dialled = 0;
    for (const kad::PeerInfo& p : done->providers) {
      if (dialled >= c_.providers_per_round || p.id == node.peer || f.tried.count(p.id)) continue;
      f.tried.insert(p.id);
      ++dialled;
      std::vector<Multiaddr> addrs;
      for (const Bytes& b : p.addrs)
        if (auto a = Multiaddr::from_bytes(b)) addrs.push_back(std::move(*a));
      net_.dial(n, p.id, std::move(addrs), [](Status) {});
    }
    size_t liars = 0;
    for (const kad::PeerInfo& p : done->providers) liars += is_liar(p.id) ? 1 : 0;
    trace_.line("{:.3f} providers {} found {} ({} liars) dialled {}", at_s(), n,
                done->providers.size(), liars, dialled);
    // Nobody new to ask: look again a little later.
    if (dialled == 0) net_.after(std::chrono::seconds(5), [this, n] { dht_round(n); });
  }
}

void ContentSim::on_block(NodeId n, bitswap::BlockReceived& b) {
  SimNode& node = *nodes_[n];
  node.blocks.held[b.cid] = b.data;  // a fetcher serves what it got, as a real node does
  Fetch& f = *node.fetch;
  if (f.ended) return;
  if (b.cid == items_[f.item].root && !f.root_received) {
    f.root_received = true;
    auto pb = decode_dag_pb(b.data);
    if (!pb) return;
    std::vector<Cid> leaves;
    for (const PbLink& l : pb->links) {
      if (!node.blocks.held.count(l.hash)) f.missing.insert(l.hash);
      leaves.push_back(l.hash);
    }
    (void)node.bitswap->client().want(leaves, now());
    bitswap_command(n);
  } else {
    f.missing.erase(b.cid);
  }
  if (f.root_received && f.missing.empty()) end_fetch(n, true);
}

void ContentSim::on_bitswap(NodeId n) {
  SimNode& node = *nodes_[n];
  while (auto e = node.bitswap->poll_event()) {
    if (auto* block = std::get_if<bitswap::BlockReceived>(&*e)) {
      if (node.fetch) on_block(n, *block);
    } else if (auto* bad = std::get_if<behaviour::BitswapMisbehaved>(&*e)) {
      const bool liar = is_liar(bad->peer);
      if (liar) {
        ++r_.liars_report.corrupt_blocks;
        ++r_.liars_report.bans;
        liars_banned_.insert(bad->peer);
      } else {
        ++r_.liars_report.honest_banned;
      }
      trace_.line("{:.3f} ban {} {} {}", at_s(), n, by_peer_.at(bad->peer),
                  liar ? "liar" : "honest");
    } else if (std::holds_alternative<bitswap::WantStalled>(*e)) {
      if (node.fetch && !node.fetch->ended) dht_round(n);
    }
  }
}

void ContentSim::churn(NodeId n, bool going_offline) {
  if (going_offline) {
    net_.set_online(n, false);
    ++r_.offline_events;
    trace_.line("{:.3f} offline {}", at_s(), n);
    net_.after(churn_.offline_length(rng_), [this, n] { churn(n, false); });
    return;
  }
  net_.set_online(n, true);
  trace_.line("{:.3f} online {}", at_s(), n);
  join(n);
  net_.after(churn_.session_length(rng_), [this, n] { churn(n, true); });
}

Result<ContentResult> ContentSim::run() {
  AGORA_TRY(trace_status_);
  build();
  assign_roles();
  // Joins spread over the join window; bootstrap nodes at once.
  for (NodeId n = 0; n < nodes_.size(); ++n) {
    Duration at = n < s_.bootstrap_nodes
                      ? Duration::zero()
                      : Duration(int64_t(rng_.uniform01() * double(s_.join_window.count())));
    net_.after(at, [this, n] {
      join(n);
      net_.after(kRejoinInterval, [this, n] { keep_joined(n); });
    });
    if (s_.churn.enabled && nodes_[n]->role == Role::plain)
      net_.after(at + churn_.session_length(rng_), [this, n] { churn(n, true); });
  }
  // Content once everyone has joined; fetches after warmup.
  net_.after(s_.join_window, [this] {
    for (NodeId n = 0; n < nodes_.size(); ++n) {
      if (nodes_[n]->role != Role::publisher) continue;
      items_.push_back(make_item());
      publish(n, items_.size() - 1);
    }
    for (NodeId n = 0; n < nodes_.size(); ++n)
      if (nodes_[n]->role == Role::liar && !items_.empty())
        lie(n, size_t(rng_.uniform_u64(items_.size())));
  });
  net_.after(s_.warmup, [this] {
    for (NodeId n = 0; n < nodes_.size(); ++n)
      if (nodes_[n]->role == Role::fetcher && !items_.empty()) start_fetch(n);
  });
  // In steps when progress is wanted: no event runs between steps, so the run is the same.
  const Duration step = options_.on_progress ? options_.progress_interval : s_.duration;
  for (Instant at = Instant(step);; at += step) {
    AGORA_TRY(net_.run_until(std::min(at, Instant(s_.duration))));
    if (options_.on_progress)
      options_.on_progress({net_.now(), r_.fetches.attempted, r_.fetches.completed,
                            net_.messages_delivered(), net_.connections(), net_.streams()});
    if (at >= Instant(s_.duration)) break;
  }
  for (auto& node : nodes_)
    if (node->fetch && !node->fetch->ended) ++r_.fetches.failed;  // unfinished at the end
  r_.seed = s_.seed;
  r_.nodes = s_.nodes;
  r_.virtual_seconds = at_s();
  r_.fetches.completed_rate =
      r_.fetches.attempted ? double(r_.fetches.completed) / double(r_.fetches.attempted) : 0;
  r_.fetches.seconds = summarize(fetch_seconds_);
  r_.liars_report.liars_banned = liars_banned_.size();
  r_.messages = net_.messages_delivered();
  trace_.line("end {} {} {}", r_.fetches.attempted, r_.fetches.completed, r_.messages);
  r_.trace_lines = trace_.lines();
  r_.trace_hash = trace_.finish();
  return r_;
}

}  // namespace

Result<ContentResult> run_content_scenario(const Scenario& scenario,
                                           const ContentOptions& options) {
  if (!scenario.content) return make_error(Errc::invalid_input, "the scenario has no [content]");
  ContentSim sim(scenario, options);
  return sim.run();
}

nlohmann::json content_to_json(const Scenario& s, const ContentResult& r, const MachineStats& m) {
  auto summary = [](const Summary& x) {
    return nlohmann::json{
        {"count", x.count}, {"median", x.median}, {"p90", x.p90}, {"max", x.max}, {"mean", x.mean}};
  };
  return {{"scenario", s.name},
          {"seed", r.seed},
          {"nodes", r.nodes},
          {"publishers", r.publishers},
          {"liars", r.liars},
          {"virtual_seconds", r.virtual_seconds},
          {"fetches",
           {{"attempted", r.fetches.attempted},
            {"completed", r.fetches.completed},
            {"failed", r.fetches.failed},
            {"completed_rate", r.fetches.completed_rate},
            {"dht_rounds", r.fetches.dht_rounds},
            {"seconds", summary(r.fetches.seconds)}}},
          {"liar_blocks",
           {{"corrupt_blocks_refused", r.liars_report.corrupt_blocks},
            {"cut_off", "banned by the fetcher on the first corrupt block (bitswap PunishPeer)"},
            {"bans", r.liars_report.bans},
            {"liars_banned", r.liars_report.liars_banned},
            {"honest_banned", r.liars_report.honest_banned}}},
          {"messages", r.messages},
          {"churn", {{"offline_events", r.offline_events}}},
          {"machine",
           {{"wall_seconds", m.wall_seconds},
            {"peak_rss_bytes", m.peak_rss_bytes},
            {"memory_per_node_bytes", m.memory_per_node_bytes}}},
          {"trace_hash", r.trace_hash},
          {"trace_lines", r.trace_lines}};
}

std::vector<std::string> check_content_expectations(const Scenario& s, const ContentResult& r) {
  std::vector<std::string> failures;
  if (s.content->completed_rate_min && r.fetches.completed_rate < *s.content->completed_rate_min)
    failures.push_back("fetches completed " + std::to_string(r.fetches.completed_rate) +
                       " < expect_completed_min " + std::to_string(*s.content->completed_rate_min));
  if (r.liars_report.honest_banned > 0)
    failures.push_back(std::to_string(r.liars_report.honest_banned) +
                       " bans of honest nodes (only liars may be banned)");
  return failures;
}

}  // namespace agora::sim
