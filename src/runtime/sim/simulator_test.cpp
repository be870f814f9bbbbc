// The simulator end to end on small networks: determinism, churn, adversaries, bad inputs.
#include "runtime/sim/simulator.h"

#include <gtest/gtest.h>

#include "runtime/sim/report.h"

namespace agora::sim {
namespace {

using namespace std::chrono_literals;

Scenario determinism_scenario() {
  auto s = load_scenario(AGORA_SIM_SCENARIO_DIR "/determinism.toml");
  EXPECT_TRUE(s.ok()) << s.error().to_string();
  return s.ok() ? *s : Scenario{};
}

RunResult run(const Scenario& s) {
  Simulator sim(s);
  auto r = sim.run();
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : RunResult{};
}

nlohmann::json result_json(const Scenario& s, const RunResult& r) {
  return to_json(s, r, MachineStats{})["result"];
}

TEST(Determinism, SameSeedSameTraceAndReportDifferentSeedDifferentTrace) {
  Scenario s = determinism_scenario();
  RunResult a = run(s);
  RunResult b = run(s);
  ASSERT_EQ(a.trace_hash.size(), 64u);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.trace_lines, b.trace_lines);
  EXPECT_EQ(result_json(s, a), result_json(s, b));
  // The scenario really exercised churn, loss and adversaries.
  EXPECT_GT(a.churn.leaves, 10u);
  EXPECT_GT(a.network.lost, 0u);
  EXPECT_GT(a.network.to_offline, 0u);
  EXPECT_GT(a.network.adversary_answers, 0u);
  EXPECT_GE(a.lookups.finished, 70u);

  Scenario other = s;
  other.seed = 2;
  RunResult c = run(other);
  EXPECT_NE(a.trace_hash, c.trace_hash);
}

Scenario small(uint64_t nodes) {
  Scenario s;
  s.name = "small";
  s.nodes = nodes;
  s.bootstrap_nodes = 2;
  s.join_window = 10s;
  s.warmup = 30s;
  s.duration = 90s;
  s.lookups = 100;
  return s;
}

TEST(Simulator, QuietNetworkFindsTheClosestPeerEveryTime) {
  Scenario s = small(120);
  RunResult r = run(s);
  EXPECT_EQ(r.lookups.scheduled, 100u);
  EXPECT_EQ(r.lookups.finished, 100u);
  EXPECT_EQ(r.lookups.succeeded, 100u);
  EXPECT_DOUBLE_EQ(r.lookups.success_rate, 1.0);
  EXPECT_EQ(r.lookups.aborted + r.lookups.unfinished, 0u);
  EXPECT_EQ(r.network.lost + r.network.to_offline + r.network.stale, 0u);
  EXPECT_GE(r.lookups.hops.median, 1);
  EXPECT_GT(r.lookups.messages.median, 0);
  // One-way latency is 10..155 ms, so a lookup takes at least one round trip.
  EXPECT_GE(r.lookups.latency_ms.median, 20);
  EXPECT_EQ(r.churn.joins, 120u);
  EXPECT_EQ(r.churn.online_at_end, 120u);
  EXPECT_GT(r.kad.routing_table_size.median, 20);
  EXPECT_TRUE(check_expectations(s, r).empty());
}

TEST(Simulator, HeavyLossFailsLookupsAndTheJudgeSaysSo) {
  // Half of all messages lost: a request and its answer both arrive a quarter of the time, and
  // the core does not ask a failed peer again, so the true closest node is often missed.
  Scenario s = small(120);
  s.link.loss = 0.5;
  s.kad.request_timeout = 2s;
  s.expect.success_rate_min = 0.99;
  RunResult r = run(s);
  EXPECT_GT(r.network.lost, 1000u);
  EXPECT_GT(r.lookups.finished, 50u);
  EXPECT_LT(r.lookups.success_rate, 0.9);
  EXPECT_GT(r.lookups.succeeded, 0u);
  EXPECT_FALSE(check_expectations(s, r).empty());
}

TEST(Simulator, ChurnAbortsLookupsAndKeepsSuccessHigh) {
  Scenario s = small(150);
  s.duration = 300s;
  s.lookups = 200;
  s.churn.enabled = true;
  s.churn.session_median = 60s;
  s.churn.offline_median = 60s;
  RunResult r = run(s);
  EXPECT_GT(r.churn.leaves, 50u);
  EXPECT_GT(r.churn.joins, 150u);  // rejoins
  EXPECT_GT(r.network.to_offline, 0u);
  EXPECT_GT(r.lookups.finished, 150u);
  EXPECT_EQ(r.lookups.started, r.lookups.finished + r.lookups.aborted + r.lookups.unfinished);
  EXPECT_GE(r.lookups.success_rate, 0.9);
}

TEST(Simulator, ExpectationsReportMisses) {
  Scenario s = small(60);
  s.expect.success_rate_min = 1.0;
  s.expect.median_hops_max_over_log16 = 0.0;  // log16(60) = 1.48: median hops 2 misses it
  s.expect.lookups_finished_min = 1000;
  RunResult r;
  r.lookups.success_rate = 0.5;
  r.lookups.finished = 10;
  r.lookups.hops = summarize({2, 2, 3});
  auto failures = check_expectations(s, r);
  ASSERT_EQ(failures.size(), 3u);
  EXPECT_NE(failures[0].find("success rate"), std::string::npos);
  EXPECT_NE(failures[1].find("median hops"), std::string::npos);
  EXPECT_NE(failures[2].find("finished lookups"), std::string::npos);
}

TEST(Simulator, OracleJoinStartsConvergedWithoutBootstrapTraffic) {
  Scenario s = small(300);
  s.join = JoinMode::oracle;
  s.warmup = 10s;
  s.duration = 40s;
  RunResult r = run(s);
  EXPECT_EQ(r.kad.background_queries, 0u);  // no bootstrap, no refresh
  EXPECT_EQ(r.lookups.finished, 100u);
  EXPECT_DOUBLE_EQ(r.lookups.success_rate, 1.0);
  // Every request was a measured lookup's (or a liveness check's).
  EXPECT_LE(r.network.requests, uint64_t(r.lookups.messages.mean * 100) + 1000);
  EXPECT_GT(r.kad.routing_table_size.median, 60);
}

TEST(Simulator, RunsOnce) {
  Simulator sim(small(10));
  ASSERT_TRUE(sim.run().ok());
  auto again = sim.run();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::internal);
}

TEST(Simulator, TraceFileThatCannotBeOpenedIsAnError) {
  SimOptions options;
  options.trace_path = "/nonexistent/dir/trace.txt";
  Simulator sim(small(10), options);
  auto r = sim.run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
}

}  // namespace
}  // namespace agora::sim
