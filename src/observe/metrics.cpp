// Metrics registry and its Prometheus/JSON renderers.
#include "observe/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace agora::observe {
namespace {

[[noreturn]] void misuse(const std::string& what) {
  // Names and types are constants in our own code: a mistake here is a bug, not an input error.
  std::fprintf(stderr, "agora metrics registry misuse: %s\n", what.c_str());
  std::abort();
}

bool name_char(char c, bool first, bool allow_colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (allow_colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

std::string render_labels(const Labels& labels, const char* extra_key = nullptr,
                          const std::string& extra_value = {}) {
  if (labels.empty() && extra_key == nullptr) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  }
  if (extra_key != nullptr) {
    if (!first) out += ',';
    out += extra_key;
    out += "=\"";
    out += escape_label_value(extra_value);
    out += '"';
  }
  out += '}';
  return out;
}

nlohmann::json json_number(double v) {
  // JSON has no NaN/Inf; use the Prometheus spelling as a string for those.
  if (std::isfinite(v)) return v;
  return format_prometheus_value(v);
}

}  // namespace

const char* metric_type_name(MetricType type) {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

bool is_valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, true)) return false;
  }
  return true;
}

bool is_valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, false)) return false;
  }
  return true;
}

std::string format_prometheus_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i + 1 < bounds_.size(); ++i) {
    if (!(bounds_[i] < bounds_[i + 1])) misuse("histogram bounds must be strictly increasing");
  }
  for (double b : bounds_) {
    if (!std::isfinite(b)) misuse("histogram bounds must be finite (+Inf is implicit)");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  // Bucket i counts values in (bounds[i-1], bounds[i]]; NaN lands in +Inf like client_golang.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // Count is derived from the buckets so `le="+Inf"` always equals `_count`, even mid-update.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

Registry::Series& Registry::find_or_add(std::string_view name, std::string_view help,
                                        MetricType type, const Labels& labels) {
  if (!is_valid_metric_name(name)) misuse("invalid metric name '" + std::string(name) + "'");
  for (const auto& [k, v] : labels) {
    if (!is_valid_label_name(k) || k == "le") {
      misuse("invalid label name '" + k + "' on metric '" + std::string(name) + "'");
    }
  }
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}}).first;
  } else if (it->second.type != type) {
    misuse("metric '" + std::string(name) + "' registered as " + metric_type_name(it->second.type) +
           " and as " + metric_type_name(type));
  }
  auto& series = it->second.series;
  for (auto& s : series) {
    if (s->labels == labels) return *s;
  }
  auto s = std::make_unique<Series>();
  s->labels = labels;
  auto pos = std::lower_bound(series.begin(), series.end(), labels,
                              [](const auto& a, const Labels& b) { return a->labels < b; });
  return **series.insert(pos, std::move(s));
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = find_or_add(name, help, MetricType::counter, labels);
  if (!s.counter) s.counter = std::make_unique<Counter>();
  return *s.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = find_or_add(name, help, MetricType::gauge, labels);
  if (!s.gauge) s.gauge = std::make_unique<Gauge>();
  return *s.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& s = find_or_add(name, help, MetricType::histogram, labels);
  if (!s.histogram) {
    s.histogram = std::make_unique<Histogram>(std::move(bounds));
  } else if (s.histogram->bounds() != bounds) {
    misuse("histogram '" + std::string(name) + "' registered again with other bounds");
  }
  return *s.histogram;
}

size_t Registry::series_count() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [name, family] : families_) n += family.series.size();
  return n;
}

std::string Registry::render_prometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " " + metric_type_name(family.type) + "\n";
    for (const auto& s : family.series) {
      switch (family.type) {
        case MetricType::counter:
          out += name + render_labels(s->labels) + " " + std::to_string(s->counter->value()) + "\n";
          break;
        case MetricType::gauge:
          out += name + render_labels(s->labels) + " " +
                 format_prometheus_value(s->gauge->value()) + "\n";
          break;
        case MetricType::histogram: {
          auto snap = s->histogram->snapshot();
          for (size_t i = 0; i < snap.cumulative.size(); ++i) {
            std::string le =
                i < snap.bounds.size() ? format_prometheus_value(snap.bounds[i]) : "+Inf";
            out += name + "_bucket" + render_labels(s->labels, "le", le) + " " +
                   std::to_string(snap.cumulative[i]) + "\n";
          }
          out += name + "_sum" + render_labels(s->labels) + " " +
                 format_prometheus_value(snap.sum) + "\n";
          out +=
              name + "_count" + render_labels(s->labels) + " " + std::to_string(snap.count) + "\n";
          break;
        }
      }
    }
  }
  return out;
}

nlohmann::json Registry::to_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, family] : families_) {
    nlohmann::json series = nlohmann::json::array();
    for (const auto& s : family.series) {
      nlohmann::json item = {{"labels", s->labels}};
      switch (family.type) {
        case MetricType::counter:
          item["value"] = s->counter->value();
          break;
        case MetricType::gauge:
          item["value"] = json_number(s->gauge->value());
          break;
        case MetricType::histogram: {
          auto snap = s->histogram->snapshot();
          nlohmann::json buckets = nlohmann::json::array();
          for (size_t i = 0; i < snap.bounds.size(); ++i) {
            buckets.push_back({snap.bounds[i], snap.cumulative[i]});
          }
          item["buckets"] = std::move(buckets);
          item["sum"] = json_number(snap.sum);
          item["count"] = snap.count;
          break;
        }
      }
      series.push_back(std::move(item));
    }
    out[name] = {{"type", metric_type_name(family.type)},
                 {"help", family.help},
                 {"series", std::move(series)}};
  }
  return out;
}

}  // namespace agora::observe
