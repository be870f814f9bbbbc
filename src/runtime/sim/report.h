// What a run measured, as plain structs and as the JSON report (docs/simulator.md lists fields).
//
// RunResult depends only on the scenario and seed: two runs with the same seed give equal
// RunResults, and the trace hash covers the events behind them. MachineStats (wall time,
// memory) vary between runs and machines and are kept apart.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/sim/scenario.h"
#include "runtime/sim/stats.h"

namespace agora::sim {

struct LookupTotals {
  uint64_t scheduled = 0;
  uint64_t started = 0;
  uint64_t no_origin = 0;      // no honest node online at the scheduled time
  uint64_t refused = 0;        // the core refused to start it (queries_max)
  uint64_t finished = 0;       // ended with a QueryFinished at an origin still online
  uint64_t succeeded = 0;      // finished and found the true closest eligible node
  uint64_t aborted = 0;        // the origin went offline first: not counted either way
  uint64_t unfinished = 0;     // still running when the run ended: counted as failures
  uint64_t no_eligible = 0;    // finished, but no node was eligible: not counted either way
  uint64_t closest_first = 0;  // succeeded with the true closest as the first result
  double success_rate = 0;     // succeeded / (finished - no_eligible + unfinished)
  Summary hops;
  std::map<uint32_t, uint64_t> hop_histogram;
  Summary messages;  // requests sent per lookup
  Summary latency_ms;
};

struct NetworkTotals {
  uint64_t requests = 0;
  uint64_t responses = 0;
  uint64_t resets = 0;       // requests the receiver refused (handle_request error, limits)
  uint64_t lost = 0;         // dropped by the link's loss rate
  uint64_t to_offline = 0;   // arrived at an offline node: the sender times out
  uint64_t unroutable = 0;   // addressed to a peer id no node has
  uint64_t stale = 0;        // answers for a sender that restarted since
  uint64_t over_limits = 0;  // messages failing kad::check_limits at the receiver
  uint64_t adversary_answers = 0;
  uint64_t connections = 0;         // opened
  uint64_t connections_closed = 0;  // by connections_max or a node leaving
};

struct ChurnTotals {
  uint64_t joins = 0;  // including each node's first
  uint64_t leaves = 0;
  uint64_t online_at_end = 0;
};

struct KadTotals {
  uint64_t background_queries = 0;  // bootstrap and refresh lookups that ended
  uint64_t routing_added = 0;
  uint64_t routing_removed = 0;
  uint64_t misbehaved = 0;  // PeerMisbehaved events from honest cores
  uint64_t inbound_rejected = 0;
  // Counted by the honest cores still online at the end.
  uint64_t timeouts = 0;
  uint64_t liveness_checks = 0;
  Summary routing_table_size;  // honest nodes online at the end
};

struct RunResult {
  std::string scenario;
  uint64_t seed = 0;
  uint64_t nodes = 0;
  uint64_t adversaries = 0;
  uint64_t bootstrap_nodes = 0;
  double virtual_seconds = 0;
  uint64_t events = 0;
  LookupTotals lookups;
  NetworkTotals network;
  ChurnTotals churn;
  KadTotals kad;
  std::string trace_hash;
  uint64_t trace_lines = 0;
};

struct MachineStats {
  double wall_seconds = 0;
  uint64_t rss_before_bytes = 0;  // before any node existed
  uint64_t peak_rss_bytes = 0;
  // (peak RSS - RSS before) / nodes: everything the run allocated, per node.
  double memory_per_node_bytes = 0;
};

nlohmann::json to_json(const Scenario& scenario, const RunResult& result,
                       const MachineStats& machine);
// One message per expectation the result misses; empty when all hold.
std::vector<std::string> check_expectations(const Scenario& scenario, const RunResult& result);

}  // namespace agora::sim
