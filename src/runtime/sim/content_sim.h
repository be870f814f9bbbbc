// The content scenario ([content] in a scenario file): the real kad and bitswap behaviours
// (src/behaviour) on every node, over the MemoryNetwork under virtual time.
//
//   1. Nodes join over join_window: each connects to the bootstrap nodes and runs kad's bootstrap.
//   2. After join_window, publishers each add one item (a dag-pb root over `blocks` raw leaves of
//      random bytes) and provide its root in the DHT. Liars (liar_fraction of the nodes) each
//      pick an item, provide it too, and answer for its blocks with corrupt bytes.
//   3. At warmup, fetchers each fetch one item by its CID alone: get_providers in the DHT,
//      connect to up to providers_per_round of them, ask bitswap for the root, then its links.
//      A fetch that stalls runs another DHT round, up to rounds_max; one not done within
//      fetch_timeout fails.
//   4. With [churn] enabled, the nodes that are neither bootstrap, publisher nor fetcher go
//      offline and come back (Weibull sessions); a returning node bootstraps again.
//
// Bitswap verifies every block against its CID; a liar's corrupt block gets the liar banned by
// the fetcher (PunishPeer), which the report counts. Deterministic: the same scenario and seed
// give the same trace hash.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/sim/report.h"
#include "runtime/sim/scenario.h"
#include "runtime/sim/stats.h"

namespace agora::sim {

struct ContentResult {
  uint64_t seed = 0;
  uint64_t nodes = 0;
  uint64_t publishers = 0;
  uint64_t liars = 0;
  double virtual_seconds = 0;
  struct {
    uint64_t attempted = 0;
    uint64_t completed = 0;
    uint64_t failed = 0;  // timed out, or out of DHT rounds
    double completed_rate = 0;
    Summary seconds;  // time to complete, of the completed ones
    uint64_t dht_rounds = 0;
  } fetches;
  struct {
    uint64_t corrupt_blocks = 0;  // blocks from liars that failed their hash check
    uint64_t bans = 0;            // (fetcher, liar) pairs cut off and banned by the fetcher
    uint64_t liars_banned = 0;    // distinct liars banned by someone
    uint64_t honest_banned = 0;   // bans of honest nodes: must stay zero
  } liars_report;
  uint64_t messages = 0;        // delivered by the memory network
  uint64_t offline_events = 0;  // churn
  std::string trace_hash;
  uint64_t trace_lines = 0;
};

// A look at a running content scenario, for progress output.
struct ContentProgress {
  Instant now{};
  uint64_t fetches_attempted = 0;
  uint64_t fetches_completed = 0;
  uint64_t messages = 0;
  size_t connections = 0;
  size_t streams = 0;
};

struct ContentOptions {
  std::string trace_path;  // also write the trace lines here
  // Called every progress_interval of virtual time when set (the run is the same either way).
  std::function<void(const ContentProgress&)> on_progress;
  Duration progress_interval = std::chrono::seconds(30);
};

Result<ContentResult> run_content_scenario(const Scenario& scenario,
                                           const ContentOptions& options = {});
nlohmann::json content_to_json(const Scenario& s, const ContentResult& r, const MachineStats& m);
// One line per threshold missed.
std::vector<std::string> check_content_expectations(const Scenario& s, const ContentResult& r);

}  // namespace agora::sim
