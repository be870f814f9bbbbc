#include "observe/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <thread>

namespace agora::observe {
namespace {

TEST(Metrics, RendersExactPrometheusText) {
  Registry r;
  r.counter("agora_connections_opened_total", "Connections opened.", {{"direction", "inbound"}})
      .add(3);
  r.counter("agora_connections_opened_total", "Connections opened.", {{"direction", "outbound"}})
      .inc();
  r.gauge("agora_peers", "Connected peers.").set(7);
  auto& h = r.histogram("agora_handshake_seconds", "Handshake latency.\nSecond \\ line.",
                        {0.1, 1, 2.5}, {{"security", "noise"}});
  h.observe(0.05);
  h.observe(0.1);  // upper bounds are inclusive
  h.observe(2);
  h.observe(30);
  EXPECT_EQ(r.render_prometheus(),
            "# HELP agora_connections_opened_total Connections opened.\n"
            "# TYPE agora_connections_opened_total counter\n"
            "agora_connections_opened_total{direction=\"inbound\"} 3\n"
            "agora_connections_opened_total{direction=\"outbound\"} 1\n"
            "# HELP agora_handshake_seconds Handshake latency.\\nSecond \\\\ line.\n"
            "# TYPE agora_handshake_seconds histogram\n"
            "agora_handshake_seconds_bucket{security=\"noise\",le=\"0.1\"} 2\n"
            "agora_handshake_seconds_bucket{security=\"noise\",le=\"1\"} 2\n"
            "agora_handshake_seconds_bucket{security=\"noise\",le=\"2.5\"} 3\n"
            "agora_handshake_seconds_bucket{security=\"noise\",le=\"+Inf\"} 4\n"
            "agora_handshake_seconds_sum{security=\"noise\"} 32.15\n"
            "agora_handshake_seconds_count{security=\"noise\"} 4\n"
            "# HELP agora_peers Connected peers.\n"
            "# TYPE agora_peers gauge\n"
            "agora_peers 7\n");
}

// A counter kept elsewhere (an atomic shared with connections that may outlive their owner) is
// read when rendered.
TEST(Metrics, ACounterWithASourceRendersTheSourcesValue) {
  Registry r;
  auto total = std::make_shared<std::atomic<uint64_t>>(0);
  r.counter("bytes_total", "b").set_source([total] { return total->load(); });
  total->store(12345);
  EXPECT_EQ(r.render_prometheus(),
            "# HELP bytes_total b\n# TYPE bytes_total counter\nbytes_total 12345\n");
  total->fetch_add(5);
  EXPECT_EQ(r.counter("bytes_total", "b").value(), 12350u);
}

TEST(Metrics, EmptyRegistryRendersNothing) {
  Registry r;
  EXPECT_EQ(r.render_prometheus(), "");
}

TEST(Metrics, SameNameAndLabelsReturnSameMetric) {
  Registry r;
  Counter& a = r.counter("x_total", "x", {{"reason", "timeout"}});
  Counter& b = r.counter("x_total", "x", {{"reason", "timeout"}});
  Counter& c = r.counter("x_total", "x", {{"reason", "refused"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.inc();
  b.add(2);
  EXPECT_EQ(a.value(), 3u);
  EXPECT_EQ(c.value(), 0u);
  EXPECT_EQ(r.series_count(), 2u);
}

TEST(Metrics, EscapesLabelValues) {
  Registry r;
  r.gauge("g", "h", {{"a", "q\"b\\s\nn"}}).set(-1.5);
  EXPECT_EQ(r.render_prometheus(), "# HELP g h\n# TYPE g gauge\ng{a=\"q\\\"b\\\\s\\nn\"} -1.5\n");
}

TEST(Metrics, FormatsGoFloats) {
  EXPECT_EQ(format_prometheus_value(0), "0");
  EXPECT_EQ(format_prometheus_value(1), "1");
  EXPECT_EQ(format_prometheus_value(0.25), "0.25");
  EXPECT_EQ(format_prometheus_value(1e6), "1e+06");
  EXPECT_EQ(format_prometheus_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_prometheus_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_prometheus_value(std::nan("")), "NaN");
}

TEST(Metrics, NameValidation) {
  EXPECT_TRUE(is_valid_metric_name("agora_x:y_total"));
  EXPECT_FALSE(is_valid_metric_name("1abc"));
  EXPECT_FALSE(is_valid_metric_name("a-b"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_TRUE(is_valid_label_name("direction"));
  EXPECT_FALSE(is_valid_label_name("__reserved"));
  EXPECT_FALSE(is_valid_label_name("a:b"));
}

TEST(MetricsDeathTest, MisuseAborts) {
  Registry r;
  r.counter("c_total", "c");
  EXPECT_DEATH(r.gauge("c_total", "c"), "registered as counter and as gauge");
  EXPECT_DEATH(r.counter("bad-name", "c"), "invalid metric name");
  EXPECT_DEATH(r.counter("ok", "c", {{"le", "1"}}), "invalid label name");
  EXPECT_DEATH(r.histogram("h", "h", {2, 1}), "strictly increasing");
  r.histogram("h2", "h", {1, 2});
  EXPECT_DEATH(r.histogram("h2", "h", {1, 3}), "other bounds");
}

TEST(Metrics, Json) {
  Registry r;
  r.counter("c_total", "C.", {{"k", "v"}}).add(5);
  auto& h = r.histogram("h_seconds", "H.", {1});
  h.observe(0.5);
  h.observe(3);
  auto j = r.to_json();
  EXPECT_EQ(j["c_total"]["type"], "counter");
  EXPECT_EQ(j["c_total"]["series"][0]["labels"]["k"], "v");
  EXPECT_EQ(j["c_total"]["series"][0]["value"], 5);
  EXPECT_EQ(j["h_seconds"]["series"][0]["buckets"], nlohmann::json::parse("[[1.0, 1]]"));
  EXPECT_EQ(j["h_seconds"]["series"][0]["count"], 2);
  EXPECT_EQ(j["h_seconds"]["series"][0]["sum"], 3.5);
}

TEST(Metrics, ConcurrentUpdatesAreNotLost) {
  Registry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r] {
      for (int i = 0; i < 10000; ++i) {
        r.counter("n_total", "n").inc();
        r.gauge("g", "g").add(1);
        r.histogram("h", "h", {0.5}).observe(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(r.counter("n_total", "n").value(), 40000u);
  EXPECT_EQ(r.gauge("g", "g").value(), 40000);
  auto snap = r.histogram("h", "h", {0.5}).snapshot();
  EXPECT_EQ(snap.count, 40000u);
  EXPECT_EQ(snap.cumulative[0], 0u);
  EXPECT_EQ(snap.sum, 40000);
}

}  // namespace
}  // namespace agora::observe
