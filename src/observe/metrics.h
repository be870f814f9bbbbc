// Metrics registry: counters, gauges and histograms, rendered as Prometheus text (format 0.0.4)
// and as JSON for the local API.
//
// Cardinality rule: label values must come from small, bounded sets known to the code (direction,
// transport, reason class, protocol id from our own table). Never use peer ids, addresses, CIDs or
// anything else a remote peer chooses as a label value: each distinct label set is a series that
// lives forever in this registry.
//
// Metric and label names are constants chosen by our own code; registering an invalid name or the
// same name with another type is a programming error and aborts with a message.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace agora::observe {

// Label key -> value, fixed at registration. std::map keeps the rendering order stable.
using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  void inc() { value_.fetch_add(1, std::memory_order_relaxed); }
  void add(uint64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return source_ ? source_() : value_.load(std::memory_order_relaxed); }
  // The value is read from `source` instead, when rendered: for a count kept elsewhere, in an
  // atomic that may outlive its owner (a connection's byte totals). Set once, before rendering;
  // `source` must be monotonic, thread-safe, and must not touch the registry.
  void set_source(std::function<uint64_t()> source) { source_ = std::move(source); }

 private:
  std::atomic<uint64_t> value_{0};
  std::function<uint64_t()> source_;
};

// Holds a double; integers up to 2^53 are exact, which covers every count we keep in a gauge.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  void inc() { add(1); }
  void dec() { add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Fixed upper bounds (strictly increasing, finite); an implicit +Inf bucket catches the rest.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then the +Inf bucket (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

enum class MetricType { counter, gauge, histogram };
const char* metric_type_name(MetricType type);

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each returns the same object for the same name and labels; references stay valid for the
  // registry's lifetime. `help` of the first registration of a name wins.
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const Labels& labels = {});

  // Text exposition format 0.0.4: families sorted by name, series sorted by labels, each family
  // one uninterrupted group with HELP and TYPE once. Ends with '\n' (empty string if no metrics).
  std::string render_prometheus() const;
  // {"<name>": {"type": "...", "help": "...", "series": [{"labels": {...}, "value": ...}]}};
  // histogram series have "buckets": [[upper_bound, cumulative_count], ...], "sum", "count".
  nlohmann::json to_json() const;

  size_t series_count() const;

 private:
  struct Series {
    Labels labels;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    MetricType type;
    std::string help;
    std::vector<std::unique_ptr<Series>> series;
  };
  Series& find_or_add(std::string_view name, std::string_view help, MetricType type,
                      const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// Prometheus helpers, exposed for tests and for other exporters.
bool is_valid_metric_name(std::string_view name);
bool is_valid_label_name(std::string_view name);
std::string format_prometheus_value(double v);  // Go float syntax: 1, 0.25, 1e+06, NaN, +Inf
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace agora::observe
