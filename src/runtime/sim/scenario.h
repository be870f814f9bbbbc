// A simulation scenario: what to run, read from a TOML file (see docs/simulator.md and
// tests/sim/*.toml). Unknown keys and out-of-range values are errors with a file position.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/time.h"
#include "runtime/sim/churn_model.h"
#include "runtime/sim/link_model.h"

namespace agora::sim {

// Limits on what a scenario may ask for, so a typo cannot ask for 10^12 nodes.
inline constexpr uint64_t kNodesMax = 1'000'000;
inline constexpr uint64_t kLookupsMax = 10'000'000;
inline constexpr uint64_t kScenarioBytesMax = 1024 * 1024;
inline constexpr Duration kDurationMax = std::chrono::hours(24 * 365);

enum class AdversaryKind : uint8_t {
  empty,      // answers every lookup with no peers
  random,     // random peers from the whole network: wrong, mostly far from the key
  far,        // the peers farthest from the key it knows of
  colluding,  // only other adversaries, the closest to the key: tries to capture the lookup
};
const char* adversary_kind_name(AdversaryKind kind);

// How nodes first enter the network.
enum class JoinMode : uint8_t {
  // Each node joins at a random time in the join window, learns the bootstrap nodes and runs
  // kad's bootstrap (self lookup, bucket refreshes, repeated every refresh interval).
  protocol,
  // A shortcut for large runs: every node starts at time 0 with the routing table of a converged
  // network (up to k random nodes from each of its buckets' key ranges) and no bootstrap, so
  // no periodic refresh either. Only the first join; a node returning after churn bootstraps.
  oracle,
};
const char* join_mode_name(JoinMode mode);

struct KadParams {
  uint64_t k = 20;
  uint64_t alpha = 10;
  uint64_t disjoint_paths = 1;
  Duration request_timeout = std::chrono::seconds(10);
  Duration refresh_interval = std::chrono::minutes(10);
};

// Thresholds a test asserts; absent ones are not checked.
struct Expectations {
  std::optional<double> success_rate_min;
  // median hops <= log_16(N) + this (DESIGN.md: median hops <= log_16(N) + 1).
  std::optional<double> median_hops_max_over_log16;
  std::optional<uint64_t> lookups_finished_min;
};

// A content scenario ([content]): some nodes add content, others fetch it by CID alone
// (providers through the DHT, blocks over bitswap) while liars serve corrupt blocks. Runs the
// kad and bitswap behaviours over the MemoryNetwork (content_sim.h).
struct ContentParams {
  uint64_t publishers = 10;          // honest nodes that add one item each
  uint64_t fetchers = 100;           // honest nodes that fetch one item each
  uint64_t blocks = 8;               // leaves per item, under one dag-pb root
  uint64_t block_bytes = 16 * 1024;  // per leaf
  double liar_fraction = 0.1;        // nodes that provide items and serve corrupt blocks
  uint64_t providers_per_round = 8;  // providers a fetcher connects to per DHT round
  uint64_t rounds_max = 3;           // DHT rounds a fetcher runs before giving up
  Duration fetch_timeout = std::chrono::minutes(2);
  std::optional<double> completed_rate_min;  // [content] expect_completed_min
};

struct Scenario {
  std::string name = "unnamed";
  uint64_t seed = 1;
  uint64_t nodes = 1000;
  // Stable honest nodes every node bootstraps from (never churn, never adversarial).
  uint64_t bootstrap_nodes = 4;
  // Open connections per node; past it the least recently used is closed (kubo's connection
  // manager keeps 32..96).
  uint64_t connections_max = 96;
  JoinMode join = JoinMode::protocol;
  // Nodes join at uniform random times in [0, join_window) (protocol join); lookups start after
  // warmup.
  Duration join_window = std::chrono::seconds(60);
  Duration warmup = std::chrono::minutes(11);
  Duration duration = std::chrono::minutes(20);  // virtual time, including warmup
  uint64_t lookups = 1000;
  LinkConfig link;
  ChurnConfig churn;
  double adversary_fraction = 0.0;
  AdversaryKind adversary_kind = AdversaryKind::random;
  KadParams kad;
  Expectations expect;
  std::optional<ContentParams> content;
};

// `source` names the text in error messages (usually the file path).
Result<Scenario> parse_scenario(std::string_view toml_text, std::string_view source);
// Errc::io when the file cannot be read, else as parse_scenario.
Result<Scenario> load_scenario(const std::string& path);
// Cross-field checks, also run after command-line overrides (--nodes, --seed).
Status validate_scenario(const Scenario& s);

}  // namespace agora::sim
