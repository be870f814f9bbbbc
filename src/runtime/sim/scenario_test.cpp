#include "runtime/sim/scenario.h"

#include <gtest/gtest.h>

namespace agora::sim {
namespace {

using namespace std::chrono_literals;

TEST(Scenario, ParsesEverySection) {
  auto s = parse_scenario(R"(
name = "full"
join = "oracle"
seed = 7
nodes = 500
bootstrap_nodes = 3
join_window_s = 30
warmup_s = 120.5
duration_s = 600
lookups = 200

[latency]
model = "pairwise"
min_ms = 5
max_ms = 200
jitter_ms = 2.5
loss = 0.01

[churn]
enabled = true
session_median_s = 1800
session_shape = 0.6
offline_median_s = 600
offline_shape = 0.7

[adversary]
fraction = 0.2
kind = "colluding"

[kad]
alpha = 8
k = 16
disjoint_paths = 4
request_timeout_s = 5
refresh_interval_s = 300

[expect]
success_rate_min = 0.95
median_hops_max_over_log16 = 1
lookups_finished_min = 150
)",
                          "full.toml");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->name, "full");
  EXPECT_EQ(s->join, JoinMode::oracle);
  EXPECT_EQ(s->seed, 7u);
  EXPECT_EQ(s->nodes, 500u);
  EXPECT_EQ(s->bootstrap_nodes, 3u);
  EXPECT_EQ(s->join_window, 30s);
  EXPECT_EQ(s->warmup, 120500ms);
  EXPECT_EQ(s->duration, 600s);
  EXPECT_EQ(s->lookups, 200u);
  EXPECT_EQ(s->link.model, LatencyModel::pairwise);
  EXPECT_EQ(s->link.latency_min, 5ms);
  EXPECT_EQ(s->link.latency_max, 200ms);
  EXPECT_EQ(s->link.jitter, 2500us);
  EXPECT_DOUBLE_EQ(s->link.loss, 0.01);
  EXPECT_TRUE(s->churn.enabled);
  EXPECT_EQ(s->churn.session_median, 1800s);
  EXPECT_DOUBLE_EQ(s->churn.session_shape, 0.6);
  EXPECT_EQ(s->churn.offline_median, 600s);
  EXPECT_DOUBLE_EQ(s->adversary_fraction, 0.2);
  EXPECT_EQ(s->adversary_kind, AdversaryKind::colluding);
  EXPECT_EQ(s->kad.alpha, 8u);
  EXPECT_EQ(s->kad.k, 16u);
  EXPECT_EQ(s->kad.disjoint_paths, 4u);
  EXPECT_EQ(s->kad.request_timeout, 5s);
  EXPECT_EQ(s->kad.refresh_interval, 300s);
  EXPECT_DOUBLE_EQ(*s->expect.success_rate_min, 0.95);
  EXPECT_DOUBLE_EQ(*s->expect.median_hops_max_over_log16, 1.0);
  EXPECT_EQ(*s->expect.lookups_finished_min, 150u);
}

TEST(Scenario, DefaultsWhenEmpty) {
  auto s = parse_scenario("", "empty.toml");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->nodes, 1000u);
  EXPECT_FALSE(s->churn.enabled);
  EXPECT_EQ(s->adversary_fraction, 0.0);
  EXPECT_FALSE(s->expect.success_rate_min.has_value());
}

void expect_error(const char* text, const char* needle) {
  auto s = parse_scenario(text, "bad.toml");
  ASSERT_FALSE(s.ok()) << text;
  EXPECT_NE(s.error().message.find(needle), std::string::npos) << s.error().message;
}

TEST(Scenario, RejectsBadInputWithPositions) {
  expect_error("nodes = 1\n", "bad.toml:1:9: nodes: 1 is out of range");
  expect_error("nodes = 2000000\n", "out of range");
  expect_error("nodes = \"many\"\n", "nodes: expected an integer");
  expect_error("nodez = 5\n", "unknown key (known:");
  expect_error("[kad]\nbeta = 3\n", "kad.beta: unknown key");
  expect_error("[adversary]\nkind = \"evil\"\n", "not one of empty, random, far, colluding");
  expect_error("[latency]\nloss = 0.9\n", "latency.loss");
  expect_error("[latency]\nmin_ms = 200\nmax_ms = 100\n", "latency.min_ms exceeds");
  expect_error("warmup_s = 100\nduration_s = 50\n", "warmup_s exceeds duration_s");
  expect_error("nodes = 10\nbootstrap_nodes = 11\n", "bootstrap_nodes");
  expect_error("nodes = 10\n[adversary]\nfraction = 0.9\n", "exceed nodes");
  expect_error("[kad]\nalpha = 2\ndisjoint_paths = 3\n", "disjoint_paths exceeds");
  expect_error("latency = 5\n", "latency: expected a table");
  expect_error("join = \"teleport\"\n", "not one of protocol, oracle");
  expect_error("[latency]\nmodel = \"sphere\"\n", "not one of plane, pairwise");
  expect_error("nodes = [\n", "bad.toml:");
  expect_error("[churn]\nsession_shape = nan\n", "churn.session_shape");
}

TEST(Scenario, LoadReportsMissingFile) {
  auto s = load_scenario("/nonexistent/scenario.toml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::io);
}

}  // namespace
}  // namespace agora::sim
