#include "runtime/sim/report.h"

#include <cmath>

namespace agora::sim {
namespace {

nlohmann::json summary_json(const Summary& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"median", s.median},
          {"p90", s.p90},     {"p99", s.p99},   {"max", s.max}};
}

double ms(Duration d) { return double(d.count()) / 1e6; }

nlohmann::json scenario_json(const Scenario& s) {
  nlohmann::json j = {
      {"name", s.name},
      {"seed", s.seed},
      {"nodes", s.nodes},
      {"bootstrap_nodes", s.bootstrap_nodes},
      {"connections_max", s.connections_max},
      {"join", join_mode_name(s.join)},
      {"join_window_s", ms(s.join_window) / 1e3},
      {"warmup_s", ms(s.warmup) / 1e3},
      {"duration_s", ms(s.duration) / 1e3},
      {"lookups", s.lookups},
      {"latency",
       {{"model", latency_model_name(s.link.model)},
        {"min_ms", ms(s.link.latency_min)},
        {"max_ms", ms(s.link.latency_max)},
        {"jitter_ms", ms(s.link.jitter)},
        {"loss", s.link.loss}}},
      {"churn",
       {{"enabled", s.churn.enabled},
        {"session_median_s", ms(s.churn.session_median) / 1e3},
        {"session_shape", s.churn.session_shape},
        {"offline_median_s", ms(s.churn.offline_median) / 1e3},
        {"offline_shape", s.churn.offline_shape}}},
      {"adversary",
       {{"fraction", s.adversary_fraction}, {"kind", adversary_kind_name(s.adversary_kind)}}},
      {"kad",
       {{"k", s.kad.k},
        {"alpha", s.kad.alpha},
        {"disjoint_paths", s.kad.disjoint_paths},
        {"request_timeout_s", ms(s.kad.request_timeout) / 1e3},
        {"refresh_interval_s", ms(s.kad.refresh_interval) / 1e3}}},
  };
  return j;
}

double median_hops_bound(const Scenario& s, double over_log16) {
  return std::log(double(s.nodes)) / std::log(16.0) + over_log16;
}

}  // namespace

nlohmann::json to_json(const Scenario& scenario, const RunResult& r, const MachineStats& m) {
  const LookupTotals& l = r.lookups;
  nlohmann::json histogram = nlohmann::json::object();
  for (const auto& [hops, count] : l.hop_histogram) histogram[std::to_string(hops)] = count;
  const double n = double(r.nodes);
  nlohmann::json j = {
      {"scenario", scenario_json(scenario)},
      {"result",
       {{"nodes", r.nodes},
        {"adversaries", r.adversaries},
        {"bootstrap_nodes", r.bootstrap_nodes},
        {"virtual_seconds", r.virtual_seconds},
        {"events", r.events},
        {"lookups",
         {{"scheduled", l.scheduled},
          {"started", l.started},
          {"no_origin", l.no_origin},
          {"refused", l.refused},
          {"finished", l.finished},
          {"succeeded", l.succeeded},
          {"aborted", l.aborted},
          {"unfinished", l.unfinished},
          {"no_eligible", l.no_eligible},
          {"closest_first", l.closest_first},
          {"success_rate", l.success_rate},
          {"hops", summary_json(l.hops)},
          {"hop_histogram", histogram},
          {"log2_n", std::log2(n)},
          {"log16_n", std::log(n) / std::log(16.0)},
          {"messages", summary_json(l.messages)},
          {"latency_ms", summary_json(l.latency_ms)}}},
        {"network",
         {{"requests", r.network.requests},
          {"responses", r.network.responses},
          {"resets", r.network.resets},
          {"lost", r.network.lost},
          {"to_offline", r.network.to_offline},
          {"unroutable", r.network.unroutable},
          {"stale", r.network.stale},
          {"over_limits", r.network.over_limits},
          {"adversary_answers", r.network.adversary_answers},
          {"connections", r.network.connections},
          {"connections_closed", r.network.connections_closed}}},
        {"churn",
         {{"joins", r.churn.joins},
          {"leaves", r.churn.leaves},
          {"online_at_end", r.churn.online_at_end}}},
        {"kad",
         {{"background_queries", r.kad.background_queries},
          {"routing_added", r.kad.routing_added},
          {"routing_removed", r.kad.routing_removed},
          {"misbehaved", r.kad.misbehaved},
          {"inbound_rejected", r.kad.inbound_rejected},
          {"timeouts", r.kad.timeouts},
          {"liveness_checks", r.kad.liveness_checks},
          {"routing_table_size", summary_json(r.kad.routing_table_size)}}},
        {"trace_hash", r.trace_hash},
        {"trace_lines", r.trace_lines}}},
      {"machine",
       {{"wall_seconds", m.wall_seconds},
        {"rss_before_bytes", m.rss_before_bytes},
        {"peak_rss_bytes", m.peak_rss_bytes},
        {"memory_per_node_bytes", m.memory_per_node_bytes}}},
  };
  const auto failures = check_expectations(scenario, r);
  j["expectations"] = {{"met", failures.empty()}, {"failures", failures}};
  return j;
}

std::vector<std::string> check_expectations(const Scenario& s, const RunResult& r) {
  std::vector<std::string> failures;
  const Expectations& e = s.expect;
  const LookupTotals& l = r.lookups;
  if (e.success_rate_min && !(l.success_rate >= *e.success_rate_min)) {
    failures.push_back("success rate " + std::to_string(l.success_rate) + " below " +
                       std::to_string(*e.success_rate_min));
  }
  if (e.median_hops_max_over_log16) {
    const double bound = median_hops_bound(s, *e.median_hops_max_over_log16);
    if (l.hops.count == 0 || l.hops.median > bound) {
      failures.push_back("median hops " + std::to_string(l.hops.median) + " above log16(" +
                         std::to_string(s.nodes) + ") + " +
                         std::to_string(*e.median_hops_max_over_log16) + " = " +
                         std::to_string(bound));
    }
  }
  if (e.lookups_finished_min && l.finished < *e.lookups_finished_min) {
    failures.push_back("finished lookups " + std::to_string(l.finished) + " below " +
                       std::to_string(*e.lookups_finished_min));
  }
  return failures;
}

}  // namespace agora::sim
