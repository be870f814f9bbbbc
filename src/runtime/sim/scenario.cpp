// Scenario files: toml++ parsing, per-key validation with positions, cross-field checks.
#include "runtime/sim/scenario.h"

#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

namespace agora::sim {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Error error_at(const toml::node& node, const std::string& key, const std::string& what) const {
    std::string where(source_);
    const auto& begin = node.source().begin;
    if (begin.line != 0) {
      where += ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column);
    }
    return make_error(Errc::invalid_input, where + ": " + key + ": " + what);
  }

  Status number(const toml::node& node, const std::string& key, double min, double max,
                double& out) const {
    double v = 0;
    if (const auto* i = node.as_integer()) {
      v = double(i->get());
    } else if (const auto* f = node.as_floating_point()) {
      v = f->get();
    } else {
      return error_at(node, key, "expected a number");
    }
    if (!(v >= min && v <= max)) {  // also rejects NaN
      return error_at(
          node, key,
          fmt_double(v) + " is out of range (" + fmt_double(min) + ".." + fmt_double(max) + ")");
    }
    out = v;
    return {};
  }

  Status integer(const toml::node& node, const std::string& key, uint64_t min, uint64_t max,
                 uint64_t& out) const {
    const auto* i = node.as_integer();
    if (i == nullptr) return error_at(node, key, "expected an integer");
    int64_t v = i->get();
    if (v < 0 || uint64_t(v) < min || uint64_t(v) > max) {
      return error_at(node, key,
                      std::to_string(v) + " is out of range (" + std::to_string(min) + ".." +
                          std::to_string(max) + ")");
    }
    out = uint64_t(v);
    return {};
  }

  // `unit` is the key's unit in seconds: 1 for *_s keys, 0.001 for *_ms keys.
  Status duration(const toml::node& node, const std::string& key, double unit, Duration min,
                  Duration& out) const {
    double v = 0;
    const double max_units = double(kDurationMax.count()) / 1e9 / unit;
    AGORA_TRY(number(node, key, double(min.count()) / 1e9 / unit, max_units, v));
    out = Duration(static_cast<int64_t>(std::llround(v * unit * 1e9)));
    return {};
  }

  Status string(const toml::node& node, const std::string& key, std::string& out) const {
    const auto* s = node.as_string();
    if (s == nullptr) return error_at(node, key, "expected a string");
    out = s->get();
    return {};
  }

  Status boolean(const toml::node& node, const std::string& key, bool& out) const {
    const auto* b = node.as_boolean();
    if (b == nullptr) return error_at(node, key, "expected true or false");
    out = b->get();
    return {};
  }

 private:
  static std::string fmt_double(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  }
  std::string_view source_;
};

using KeyHandler = std::function<Status(const toml::node&, const std::string&)>;

// Runs the handler for each key of `table`; an unknown key is an error listing the known ones.
Status for_each_key(const Reader& r, const toml::table& table, const std::string& prefix,
                    const std::map<std::string, KeyHandler>& handlers) {
  for (auto&& [key, node] : table) {
    std::string name(key.str());
    auto it = handlers.find(name);
    if (it == handlers.end()) {
      std::string known;
      for (const auto& [k, h] : handlers) known += (known.empty() ? "" : ", ") + k;
      return r.error_at(node, prefix + name, "unknown key (known: " + known + ")");
    }
    AGORA_TRY(it->second(node, prefix + name));
  }
  return {};
}

Status with_table(const Reader& r, const toml::node& node, const std::string& key,
                  const std::function<Status(const toml::table&)>& body) {
  const auto* t = node.as_table();
  if (t == nullptr) return r.error_at(node, key, "expected a table");
  return body(*t);
}

Status parse_latency(const Reader& r, const toml::table& t, LinkConfig& l) {
  using namespace std::chrono_literals;
  return for_each_key(
      r, t, "latency.",
      {{"model",
        [&](const toml::node& n, const std::string& k) -> Status {
          std::string v;
          AGORA_TRY(r.string(n, k, v));
          for (auto m : {LatencyModel::plane, LatencyModel::pairwise}) {
            if (v == latency_model_name(m)) {
              l.model = m;
              return {};
            }
          }
          return r.error_at(n, k, "'" + v + "' is not one of plane, pairwise");
        }},
       {"min_ms", [&](auto& n, auto& k) { return r.duration(n, k, 1e-3, 0ms, l.latency_min); }},
       {"max_ms", [&](auto& n, auto& k) { return r.duration(n, k, 1e-3, 0ms, l.latency_max); }},
       {"jitter_ms", [&](auto& n, auto& k) { return r.duration(n, k, 1e-3, 0ms, l.jitter); }},
       {"loss", [&](auto& n, auto& k) { return r.number(n, k, 0.0, 0.5, l.loss); }}});
}

Status parse_churn(const Reader& r, const toml::table& t, ChurnConfig& c) {
  using namespace std::chrono_literals;
  return for_each_key(
      r, t, "churn.",
      {{"enabled", [&](auto& n, auto& k) { return r.boolean(n, k, c.enabled); }},
       {"session_median_s",
        [&](auto& n, auto& k) { return r.duration(n, k, 1, 1s, c.session_median); }},
       {"session_shape",
        [&](auto& n, auto& k) { return r.number(n, k, 0.1, 10, c.session_shape); }},
       {"offline_median_s",
        [&](auto& n, auto& k) { return r.duration(n, k, 1, 1s, c.offline_median); }},
       {"offline_shape",
        [&](auto& n, auto& k) { return r.number(n, k, 0.1, 10, c.offline_shape); }},
       {"length_min_s", [&](auto& n, auto& k) { return r.duration(n, k, 1, 1ms, c.length_min); }}});
}

Status parse_adversary(const Reader& r, const toml::table& t, Scenario& s) {
  return for_each_key(
      r, t, "adversary.",
      {{"fraction",
        [&](auto& n, auto& k) { return r.number(n, k, 0.0, 0.9, s.adversary_fraction); }},
       {"kind", [&](const toml::node& n, const std::string& k) -> Status {
          std::string v;
          AGORA_TRY(r.string(n, k, v));
          for (auto kind : {AdversaryKind::empty, AdversaryKind::random, AdversaryKind::far,
                            AdversaryKind::colluding}) {
            if (v == adversary_kind_name(kind)) {
              s.adversary_kind = kind;
              return {};
            }
          }
          return r.error_at(n, k, "'" + v + "' is not one of empty, random, far, colluding");
        }}});
}

Status parse_kad(const Reader& r, const toml::table& t, KadParams& p) {
  using namespace std::chrono_literals;
  return for_each_key(
      r, t, "kad.",
      {{"k", [&](auto& n, auto& k) { return r.integer(n, k, 1, 64, p.k); }},
       {"alpha", [&](auto& n, auto& k) { return r.integer(n, k, 1, 64, p.alpha); }},
       {"disjoint_paths",
        [&](auto& n, auto& k) { return r.integer(n, k, 1, 32, p.disjoint_paths); }},
       {"request_timeout_s",
        [&](auto& n, auto& k) { return r.duration(n, k, 1, 1ms, p.request_timeout); }},
       {"refresh_interval_s",
        [&](auto& n, auto& k) { return r.duration(n, k, 1, 1s, p.refresh_interval); }}});
}

Status parse_expect(const Reader& r, const toml::table& t, Expectations& e) {
  return for_each_key(r, t, "expect.",
                      {{"success_rate_min",
                        [&](auto& n, auto& k) -> Status {
                          double v = 0;
                          AGORA_TRY(r.number(n, k, 0.0, 1.0, v));
                          e.success_rate_min = v;
                          return Status{};
                        }},
                       {"median_hops_max_over_log16",
                        [&](auto& n, auto& k) -> Status {
                          double v = 0;
                          AGORA_TRY(r.number(n, k, 0.0, 100.0, v));
                          e.median_hops_max_over_log16 = v;
                          return Status{};
                        }},
                       {"lookups_finished_min", [&](auto& n, auto& k) -> Status {
                          uint64_t v = 0;
                          AGORA_TRY(r.integer(n, k, 0, kLookupsMax, v));
                          e.lookups_finished_min = v;
                          return Status{};
                        }}});
}

Status parse_content(const Reader& r, const toml::table& t, ContentParams& c) {
  using namespace std::chrono_literals;
  return for_each_key(
      r, t, "content.",
      {{"publishers",
        [&](auto& n, auto& k) { return r.integer(n, k, 1, kNodesMax, c.publishers); }},
       {"fetchers", [&](auto& n, auto& k) { return r.integer(n, k, 1, kNodesMax, c.fetchers); }},
       {"blocks", [&](auto& n, auto& k) { return r.integer(n, k, 1, 1024, c.blocks); }},
       {"block_bytes",
        [&](auto& n, auto& k) { return r.integer(n, k, 1, 1024 * 1024, c.block_bytes); }},
       {"liar_fraction",
        [&](auto& n, auto& k) { return r.number(n, k, 0.0, 0.5, c.liar_fraction); }},
       {"providers_per_round",
        [&](auto& n, auto& k) { return r.integer(n, k, 1, 64, c.providers_per_round); }},
       {"rounds_max", [&](auto& n, auto& k) { return r.integer(n, k, 1, 32, c.rounds_max); }},
       {"fetch_timeout_s",
        [&](auto& n, auto& k) { return r.duration(n, k, 1, 1s, c.fetch_timeout); }},
       {"expect_completed_min", [&](auto& n, auto& k) -> Status {
          double v = 0;
          AGORA_TRY(r.number(n, k, 0.0, 1.0, v));
          c.completed_rate_min = v;
          return Status{};
        }}});
}

Status parse_root(const Reader& r, const toml::table& root, Scenario& s) {
  using namespace std::chrono_literals;
  return for_each_key(
      r, root, "",
      {{"name", [&](auto& n, auto& k) { return r.string(n, k, s.name); }},
       {"seed",
        [&](auto& n, auto& k) {
          return r.integer(n, k, 0, uint64_t(std::numeric_limits<int64_t>::max()), s.seed);
        }},
       {"nodes", [&](auto& n, auto& k) { return r.integer(n, k, 2, kNodesMax, s.nodes); }},
       {"bootstrap_nodes",
        [&](auto& n, auto& k) { return r.integer(n, k, 1, kNodesMax, s.bootstrap_nodes); }},
       {"join",
        [&](const toml::node& n, const std::string& k) -> Status {
          std::string v;
          AGORA_TRY(r.string(n, k, v));
          for (auto mode : {JoinMode::protocol, JoinMode::oracle}) {
            if (v == join_mode_name(mode)) {
              s.join = mode;
              return {};
            }
          }
          return r.error_at(n, k, "'" + v + "' is not one of protocol, oracle");
        }},
       {"connections_max",
        [&](auto& n, auto& k) { return r.integer(n, k, 1, 100000, s.connections_max); }},
       {"join_window_s", [&](auto& n, auto& k) { return r.duration(n, k, 1, 0s, s.join_window); }},
       {"warmup_s", [&](auto& n, auto& k) { return r.duration(n, k, 1, 0s, s.warmup); }},
       {"duration_s", [&](auto& n, auto& k) { return r.duration(n, k, 1, 1s, s.duration); }},
       {"lookups", [&](auto& n, auto& k) { return r.integer(n, k, 0, kLookupsMax, s.lookups); }},
       {"latency",
        [&](auto& n, auto& k) {
          return with_table(r, n, k, [&](auto& t) { return parse_latency(r, t, s.link); });
        }},
       {"churn",
        [&](auto& n, auto& k) {
          return with_table(r, n, k, [&](auto& t) { return parse_churn(r, t, s.churn); });
        }},
       {"adversary",
        [&](auto& n, auto& k) {
          return with_table(r, n, k, [&](auto& t) { return parse_adversary(r, t, s); });
        }},
       {"kad",
        [&](auto& n, auto& k) {
          return with_table(r, n, k, [&](auto& t) { return parse_kad(r, t, s.kad); });
        }},
       {"expect",
        [&](auto& n, auto& k) {
          return with_table(r, n, k, [&](auto& t) { return parse_expect(r, t, s.expect); });
        }},
       {"content", [&](auto& n, auto& k) {
          s.content.emplace();
          return with_table(r, n, k, [&](auto& t) { return parse_content(r, t, *s.content); });
        }}});
}

}  // namespace

const char* adversary_kind_name(AdversaryKind kind) {
  switch (kind) {
    case AdversaryKind::empty:
      return "empty";
    case AdversaryKind::random:
      return "random";
    case AdversaryKind::far:
      return "far";
    case AdversaryKind::colluding:
      return "colluding";
  }
  return "unknown";
}

const char* join_mode_name(JoinMode mode) {
  switch (mode) {
    case JoinMode::protocol:
      return "protocol";
    case JoinMode::oracle:
      return "oracle";
  }
  return "unknown";
}

Status validate_scenario(const Scenario& s) {
  auto bad = [&](const std::string& what) {
    return make_error(Errc::invalid_input, "scenario " + s.name + ": " + what);
  };
  if (s.nodes < 2 || s.nodes > kNodesMax)
    return bad("nodes must be in 2.." + std::to_string(kNodesMax));
  if (s.bootstrap_nodes < 1 || s.bootstrap_nodes > s.nodes) {
    return bad("bootstrap_nodes must be in 1..nodes");
  }
  const auto adversaries =
      static_cast<uint64_t>(std::floor(s.adversary_fraction * double(s.nodes)));
  if (adversaries + s.bootstrap_nodes > s.nodes) {
    return bad("adversaries and bootstrap nodes together exceed nodes");
  }
  if (s.link.latency_min > s.link.latency_max) return bad("latency.min_ms exceeds latency.max_ms");
  if (s.warmup > s.duration) return bad("warmup_s exceeds duration_s");
  if (s.join_window > s.warmup) return bad("join_window_s exceeds warmup_s");
  if (s.lookups > 0 && s.warmup == s.duration) return bad("lookups need duration_s > warmup_s");
  if (s.kad.disjoint_paths > s.kad.alpha) return bad("kad.disjoint_paths exceeds kad.alpha");
  if (s.content) {
    const auto liars =
        static_cast<uint64_t>(std::floor(s.content->liar_fraction * double(s.nodes)));
    if (s.bootstrap_nodes + s.content->publishers + s.content->fetchers + liars > s.nodes)
      return bad("bootstrap nodes, publishers, fetchers and liars together exceed nodes");
    if (s.nodes > (uint64_t(1) << 24)) return bad("content scenarios address at most 2^24 nodes");
  }
  return {};
}

Result<Scenario> parse_scenario(std::string_view toml_text, std::string_view source) {
  if (toml_text.size() > kScenarioBytesMax) {
    return make_error(Errc::too_large, std::string(source) + ": scenario file over 1 MiB");
  }
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return make_error(Errc::invalid_input, std::string(source) + ":" + std::to_string(begin.line) +
                                               ":" + std::to_string(begin.column) + ": " +
                                               std::string(e.description()));
  }
  Scenario s;
  Reader reader(source);
  AGORA_TRY(parse_root(reader, root, s));
  AGORA_TRY(validate_scenario(s));
  return s;
}

Result<Scenario> load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot read scenario " + path);
  std::string text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, size_t(in.gcount()));
    if (text.size() > kScenarioBytesMax) {
      return make_error(Errc::too_large, path + ": scenario file over 1 MiB");
    }
  }
  return parse_scenario(text, path);
}

}  // namespace agora::sim
