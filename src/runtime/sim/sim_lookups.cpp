// Measured lookups: scheduled at random times after warmup from random honest online nodes, for
// random keys; each is judged against the true closest eligible node (docs/simulator.md).
#include <cassert>

#include "runtime/sim/simulator.h"

namespace agora::sim {

void Simulator::schedule_lookups() {
  lookups_.resize(scenario_.lookups);
  const auto span_ns = uint64_t((scenario_.duration - scenario_.warmup).count());
  for (uint64_t i = 0; i < scenario_.lookups; ++i) {
    const Instant at =
        Instant(scenario_.warmup) + Duration(int64_t(lookup_rng_.uniform_u64(span_ns)));
    queue_.schedule(at, SimEvent{EventKind::lookup, 0, i});
  }
}

void Simulator::start_lookup(uint64_t index) {
  Lookup& l = lookups_[index];
  if (online_honest_.empty()) {
    ++result_.lookups.no_origin;
    l.status = LookupStatus::done;
    trace_.line("{} lookup-no-origin {}", now_ns(), index);
    return;
  }
  l.origin = online_honest_[lookup_rng_.uniform_u64(online_honest_.size())];
  Bytes raw(32);
  for (size_t i = 0; i < raw.size(); i += 8) put_u64_be(raw.data() + i, lookup_rng_.next_u64());
  l.target = kad::Key::from_bytes(raw);
  l.started = now();
  auto query = nodes_[l.origin].kad->get_closest_peers(raw, now());
  if (!query.ok()) {
    ++result_.lookups.refused;
    l.status = LookupStatus::done;
    trace_.line("{} lookup-refused {} {}", now_ns(), index, l.origin);
    return;
  }
  ++result_.lookups.started;
  l.status = LookupStatus::running;
  running_[{l.origin, *query}] = index;
  trace_.line("{} lookup-start {} {}", now_ns(), index, l.origin);
  after_input(l.origin);  // the query may even end here, with an empty routing table
}

bool Simulator::eligible(NodeIndex node, const Lookup& lookup) const {
  const Node& n = nodes_[node];
  return node != lookup.origin && n.role != Role::adversary && n.kad != nullptr &&
         n.online_since <= lookup.started;
}

void Simulator::finish_lookup(uint64_t index, const kad::QueryFinished& finished) {
  Lookup& l = lookups_[index];
  assert(l.status == LookupStatus::running);
  l.status = LookupStatus::done;
  LookupTotals& totals = result_.lookups;
  ++totals.finished;
  auto truth = population_->closest(l.target, [&](NodeIndex n) { return eligible(n, l); });
  if (!truth) {
    ++totals.no_eligible;
    trace_.line("{} lookup-no-eligible {}", now_ns(), index);
    return;
  }
  std::optional<size_t> rank;
  for (size_t i = 0; i < finished.closest.size() && !rank; ++i) {
    if (finished.closest[i].id == population_->id(*truth)) rank = i;
  }
  if (rank) {
    ++totals.succeeded;
    if (*rank == 0) ++totals.closest_first;
  }
  const kad::QueryStats& s = finished.stats;
  hops_.push_back(s.hops);
  messages_.push_back(s.requests);
  latency_ms_.push_back(double(s.elapsed.count()) / 1e6);
  ++totals.hop_histogram[s.hops];
  trace_.line("{} lookup-end {} {} {} {} {} {}", now_ns(), index, rank ? 1 : 0,
              rank ? int64_t(*rank) : -1, s.hops, s.requests, s.elapsed.count());
}

void Simulator::abort_lookups_of(NodeIndex node) {
  auto it = running_.lower_bound({node, 0});
  while (it != running_.end() && it->first.first == node) {
    lookups_[it->second].status = LookupStatus::aborted;
    ++result_.lookups.aborted;
    trace_.line("{} lookup-aborted {}", now_ns(), it->second);
    it = running_.erase(it);
  }
}

}  // namespace agora::sim
