// Simulator setup, the event loop and node sessions (join, leave, timers, core outputs).
#include "runtime/sim/simulator.h"

#include <algorithm>
#include <cassert>

#include "runtime/sim/identity.h"

namespace agora::sim {
namespace {

// PRNG streams, one per purpose (Prng::fork): changing how much one part draws never shifts
// another part's numbers.
enum Stream : uint64_t {
  kIdentities = 1,
  kPositions,
  kLinks,
  kChurn,
  kLookups,
  kAdversary,
  kRoles,
  kJoins,
  kKadSeeds,
  kOracle,
};

}  // namespace

Simulator::Simulator(Scenario scenario, SimOptions options)
    : scenario_(std::move(scenario)),
      options_(std::move(options)),
      root_rng_(scenario_.seed),
      link_rng_(root_rng_.fork(kLinks)),
      churn_rng_(root_rng_.fork(kChurn)),
      lookup_rng_(root_rng_.fork(kLookups)),
      adversary_rng_(root_rng_.fork(kAdversary)),
      oracle_rng_(root_rng_.fork(kOracle)),
      end_(Instant(scenario_.duration)) {}

Simulator::~Simulator() = default;

kad::KadConfig Simulator::kad_config(NodeIndex node) const {
  kad::KadConfig c;
  c.k = scenario_.kad.k;
  c.alpha = scenario_.kad.alpha;
  c.disjoint_paths = scenario_.kad.disjoint_paths;
  c.request_timeout = scenario_.kad.request_timeout;
  c.refresh_interval = scenario_.kad.refresh_interval;
  c.query_step_events = false;  // per-answer events are for the CLI, not needed here
  c.server_mode = true;
  const uint64_t base = root_rng_.fork(kKadSeeds).next_u64();
  c.rng_seed = mix64(base ^ (uint64_t(node) << 32 | nodes_[node].incarnation));
  return c;
}

void Simulator::setup() {
  const size_t n = scenario_.nodes;
  population_ = std::make_unique<Population>(n, root_rng_.fork(kIdentities));
  links_ = std::make_unique<LinkModel>(scenario_.link, n, root_rng_.fork(kPositions));
  churn_ = std::make_unique<ChurnModel>(scenario_.churn);
  nodes_.resize(n);

  // Bootstrap nodes are the first indices (ids are random, so this picks random keys); the
  // adversaries are a random subset of the rest.
  std::vector<NodeIndex> rest;
  for (NodeIndex i = 0; i < n; ++i) {
    if (i < scenario_.bootstrap_nodes) {
      nodes_[i].role = Role::bootstrap;
      bootstrap_peers_.push_back(population_->info(i));
    } else {
      rest.push_back(i);
    }
  }
  Prng roles = root_rng_.fork(kRoles);
  for (size_t i = rest.size(); i > 1; --i) std::swap(rest[i - 1], rest[roles.uniform_u64(i)]);
  const auto adversaries = size_t(scenario_.adversary_fraction * double(n));
  assert(adversaries <= rest.size());
  std::vector<NodeIndex> members(rest.begin(), rest.begin() + ptrdiff_t(adversaries));
  for (NodeIndex i : members) nodes_[i].role = Role::adversary;
  adversary_ = std::make_unique<Adversary>(scenario_.adversary_kind, *population_,
                                           std::move(members), scenario_.kad.k);
  for (Node& node : nodes_) node.churns = scenario_.churn.enabled && node.role == Role::honest;

  Prng joins = root_rng_.fork(kJoins);
  const auto window_ns = uint64_t(scenario_.join_window.count());
  const bool at_once = scenario_.join == JoinMode::oracle;
  for (NodeIndex i = 0; i < n; ++i) {
    Instant at = nodes_[i].role == Role::bootstrap || at_once
                     ? Instant{}
                     : Instant(Duration(int64_t(joins.uniform_u64(window_ns))));
    queue_.schedule(at, SimEvent{EventKind::join, i, 0});
  }
  schedule_lookups();

  result_.scenario = scenario_.name;
  result_.seed = scenario_.seed;
  result_.nodes = n;
  result_.adversaries = adversaries;
  result_.bootstrap_nodes = scenario_.bootstrap_nodes;
}

Result<RunResult> Simulator::run() {
  if (ran_) return make_error(Errc::internal, "a Simulator runs once; make a new one");
  ran_ = true;
  if (!options_.trace_path.empty()) AGORA_TRY(trace_.open_file(options_.trace_path));
  setup();
  const Instant drain_end = end_ + options_.drain_max;
  Instant next_progress = Instant(options_.progress_interval);
  while (auto e = queue_.pop()) {
    if (options_.on_progress && e->at >= next_progress) {
      options_.on_progress(
          SimProgress{e->at, result_.events, online_, queue_.size(), result_.lookups.finished});
      while (next_progress <= e->at) next_progress += options_.progress_interval;
    }
    if (e->at > end_) {
      // Past the end only running lookups matter; churn and lookups are never scheduled there.
      draining_ = true;
      if (running_.empty() || e->at > drain_end) break;
    }
    ++result_.events;
    dispatch(e->payload);
  }
  return collect();
}

void Simulator::dispatch(const SimEvent& event) {
  switch (event.kind) {
    case EventKind::deliver:
      deliver(event.arg);
      break;
    case EventKind::timer:
      on_timer_event(event.node, event.arg, now());
      break;
    case EventKind::join:
      join(event.node);
      break;
    case EventKind::leave:
      leave(event.node);
      break;
    case EventKind::lookup:
      start_lookup(event.arg);
      break;
  }
}

void Simulator::join(NodeIndex node) {
  Node& n = nodes_[node];
  assert(n.kad == nullptr);
  trace_.line("{} join {} {}", now_ns(), node, n.incarnation);
  ++result_.churn.joins;
  n.kad = std::make_unique<kad::Kad>(population_->id(node), kad_config(node));
  n.kad->set_self_addrs({make_node_addr(node)});
  n.online_since = now();
  n.timer_at = Instant::max();
  ++online_;
  if (scenario_.join == JoinMode::oracle && n.incarnation == 0) {
    // A converged network's table instead of bootstrap traffic (scenario.h, JoinMode::oracle).
    for (NodeIndex peer : population_->bucket_sample(node, scenario_.kad.k, oracle_rng_)) {
      n.kad->on_peer_connected(population_->info(peer), true, kad::Direction::outbound, now());
    }
  } else {
    for (const kad::PeerInfo& peer : bootstrap_peers_) {
      if (peer.id != population_->id(node))
        n.kad->on_peer_connected(peer, true, kad::Direction::outbound, now());
    }
    // An error (queries_max) cannot happen on a fresh core; the refresh timer retries anyway.
    (void)n.kad->bootstrap(now());
  }
  if (n.role != Role::adversary) set_online_honest(node, true);
  if (n.churns) {
    Instant leave_at = now() + churn_->session_length(churn_rng_);
    if (leave_at < end_) queue_.schedule(leave_at, SimEvent{EventKind::leave, node, 0});
  }
  after_input(node);
}

void Simulator::leave(NodeIndex node) {
  Node& n = nodes_[node];
  assert(n.kad != nullptr);
  trace_.line("{} leave {}", now_ns(), node);
  ++result_.churn.leaves;
  abort_lookups_of(node);
  if (n.role != Role::adversary) set_online_honest(node, false);
  close_all_connections(node);
  n.kad.reset();  // a crash: nothing survives the session
  --online_;
  ++n.incarnation;
  n.timer_at = Instant::max();
  Instant back_at = now() + churn_->offline_length(churn_rng_);
  if (back_at < end_) queue_.schedule(back_at, SimEvent{EventKind::join, node, 0});
}

void Simulator::set_online_honest(NodeIndex node, bool online) {
  Node& n = nodes_[node];
  if (online) {
    assert(n.online_slot == kNoSlot);
    n.online_slot = uint32_t(online_honest_.size());
    online_honest_.push_back(node);
    return;
  }
  assert(n.online_slot != kNoSlot && online_honest_[n.online_slot] == node);
  const NodeIndex last = online_honest_.back();
  online_honest_[n.online_slot] = last;
  nodes_[last].online_slot = n.online_slot;
  online_honest_.pop_back();
  n.online_slot = kNoSlot;
}

void Simulator::on_timer_event(NodeIndex node, uint64_t incarnation, Instant at) {
  Node& n = nodes_[node];
  // Superseded by an earlier timer, or armed by a session that has ended.
  if (n.kad == nullptr || n.incarnation != incarnation || n.timer_at != at) return;
  n.timer_at = Instant::max();
  trace_.line("{} timer {}", now_ns(), node);
  n.kad->on_timer(now());
  after_input(node);
}

void Simulator::after_input(NodeIndex node) {
  Node& n = nodes_[node];
  while (auto request = n.kad->poll_outbound()) send_request(node, std::move(*request));
  while (auto event = n.kad->poll_event()) handle_kad_event(node, *event);
  // Keep one armed timer per node, moved earlier when the core asks; a later deadline is
  // found when the armed one fires (on_timer with nothing due does nothing).
  std::optional<Instant> next = n.kad->next_timer();
  if (next && *next < n.timer_at) {
    n.timer_at = std::max(*next, now());
    queue_.schedule(n.timer_at, SimEvent{EventKind::timer, node, n.incarnation});
  }
}

void Simulator::handle_kad_event(NodeIndex node, kad::KadEvent& event) {
  const bool honest = nodes_[node].role != Role::adversary;
  if (auto* f = std::get_if<kad::QueryFinished>(&event)) {
    auto it = running_.find({node, f->query});
    if (it != running_.end()) {
      const uint64_t index = it->second;
      running_.erase(it);
      finish_lookup(index, *f);
      return;
    }
    ++result_.kad.background_queries;
    trace_.line("{} query-end {} {} {}", now_ns(), node, kad::query_kind_name(f->kind),
                f->ok ? 1 : 0);
  } else if (auto* r = std::get_if<kad::RoutingUpdated>(&event)) {
    ++(r->added ? result_.kad.routing_added : result_.kad.routing_removed);
  } else if (std::holds_alternative<kad::PeerMisbehaved>(event)) {
    if (honest) ++result_.kad.misbehaved;
  } else if (std::holds_alternative<kad::InboundRejected>(event)) {
    ++result_.kad.inbound_rejected;
  }
}

RunResult Simulator::collect() {
  RunResult& r = result_;
  r.virtual_seconds = double(now().time_since_epoch().count()) / 1e9;
  LookupTotals& l = r.lookups;
  l.scheduled = lookups_.size();
  l.unfinished = running_.size();
  const uint64_t counted = l.finished - l.no_eligible + l.unfinished + l.refused;
  l.success_rate = counted == 0 ? 0.0 : double(l.succeeded) / double(counted);
  l.hops = summarize(hops_);
  l.messages = summarize(messages_);
  l.latency_ms = summarize(latency_ms_);

  std::vector<double> table_sizes;
  for (const Node& n : nodes_) {
    if (n.kad == nullptr) continue;
    ++r.churn.online_at_end;
    if (n.role == Role::adversary) continue;
    table_sizes.push_back(double(n.kad->routing_table().size()));
    r.kad.timeouts += n.kad->stats().timeouts;
    r.kad.liveness_checks += n.kad->stats().liveness_checks;
  }
  r.kad.routing_table_size = summarize(std::move(table_sizes));
  r.trace_lines = trace_.lines();
  r.trace_hash = trace_.finish();
  return r;
}

}  // namespace agora::sim
