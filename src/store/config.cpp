// config.toml: parsing with toml++ and validation with positions (the commented default file:
// config_render.cpp).
#include "store/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include "codec/multiaddr.h"
#include "observe/otlp_exporter.h"
#include "store/config_text.h"
#include "store/file_util.h"

namespace agora::store {
namespace {

Error multiaddr_error(const Error& e) {
  // The codec may already say "multiaddr: ..."; say it once.
  if (e.message.starts_with("multiaddr: ")) return make_error(Errc::invalid_input, e.message);
  return make_error(Errc::invalid_input, "multiaddr: " + e.message);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

const char* type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// Builds "<source>:<line>:<col>: <key>: <what>" errors.
class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Error error_at(const toml::source_region& where, const std::string& what) const {
    std::string prefix(source_);
    if (where.begin.line != 0) {
      prefix += ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
    }
    return make_error(Errc::invalid_input, prefix + ": " + what);
  }

  Status read_string(const toml::node& node, const std::string& key, std::string& out) const {
    const auto* s = node.as_string();
    if (s == nullptr) return wrong_type(node, key, "a string");
    out = s->get();
    return {};
  }

  // `validate` checks each element; its message is appended to "key[i]: ".
  template <class Validate>
  Status read_string_array(const toml::node& node, const std::string& key,
                           std::vector<std::string>& out, Validate validate) const {
    const auto* arr = node.as_array();
    if (arr == nullptr) return wrong_type(node, key, "an array of strings");
    out.clear();
    for (size_t i = 0; i < arr->size(); ++i) {
      const toml::node& item = (*arr)[i];
      std::string item_key = key + "[" + std::to_string(i) + "]";
      std::string value;
      AGORA_TRY(read_string(item, item_key, value));
      Status st = validate(value);
      if (!st.ok()) return error_at(item.source(), item_key + ": " + st.error().message);
      out.push_back(std::move(value));
    }
    return {};
  }

  template <class Int>
  Status read_uint(const toml::node& node, const std::string& key, uint64_t min, Int& out) const {
    const auto* i = node.as_integer();
    if (i == nullptr) return wrong_type(node, key, "an integer");
    int64_t v = i->get();
    uint64_t max = std::numeric_limits<Int>::max();
    if (max > uint64_t(std::numeric_limits<int64_t>::max())) {
      max = uint64_t(std::numeric_limits<int64_t>::max());
    }
    if (v < 0 || uint64_t(v) < min || uint64_t(v) > max) {
      return error_at(node.source(), key + ": " + std::to_string(v) + " is out of range (" +
                                         std::to_string(min) + ".." + std::to_string(max) + ")");
    }
    out = Int(v);
    return {};
  }

  Status read_bool(const toml::node& node, const std::string& key, bool& out) const {
    const auto* b = node.as_boolean();
    if (b == nullptr) return wrong_type(node, key, "true or false");
    out = b->get();
    return {};
  }

  // Suggests the closest known key when the name looks like a typo of it.
  Status unknown_key(const toml::key& key, const std::string& prefix,
                     const std::vector<std::string_view>& known) const {
    std::string_view best;
    size_t best_distance = 4;  // more edits than this is not a typo
    std::string list;
    for (std::string_view k : known) {
      size_t d = edit_distance(key.str(), k);
      if (d < best_distance) {
        best = k;
        best_distance = d;
      }
      list += (list.empty() ? "" : ", ") + std::string(k);
    }
    std::string what = "unknown key '" + prefix + std::string(key.str()) + "'";
    if (!best.empty())
      return error_at(key.source(), what + " (did you mean '" + std::string(best) + "'?)");
    return error_at(key.source(), what + " (known keys: " + list + ")");
  }

 private:
  Status wrong_type(const toml::node& node, const std::string& key, const char* want) const {
    return error_at(node.source(),
                    key + ": expected " + want + ", found " + type_name(node.type()));
  }
  std::string_view source_;
};

Status parse_limits(const Parser& p, const toml::table& t, Limits& l) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "limits." + k;
    if (k == "connections_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.connections_max));
    } else if (k == "connections_per_peer_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.connections_per_peer_max));
    } else if (k == "inbound_streams_per_connection_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.inbound_streams_per_connection_max));
    } else if (k == "streams_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.streams_max));
    } else if (k == "streams_per_peer_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.streams_per_peer_max));
    } else if (k == "buffered_bytes_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.buffered_bytes_max));
    } else if (k == "buffered_bytes_per_peer_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.buffered_bytes_per_peer_max));
    } else if (k == "pending_dials_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.pending_dials_max));
    } else if (k == "pending_inbound_handshakes_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.pending_inbound_handshakes_max));
    } else if (k == "pending_inbound_handshakes_per_ip_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.pending_inbound_handshakes_per_ip_max));
    } else if (k == "pending_inbound_handshakes_per_group_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.pending_inbound_handshakes_per_group_max));
    } else if (k == "inbound_connections_per_ip_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.inbound_connections_per_ip_max));
    } else if (k == "inbound_connections_per_group_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.inbound_connections_per_group_max));
    } else if (k == "outbound_reserve") {
      AGORA_TRY(p.read_uint(node, name, 0, l.outbound_reserve));
    } else if (k == "first_bytes_timeout_ms") {
      AGORA_TRY(p.read_uint(node, name, 1, l.first_bytes_timeout_ms));
    } else if (k == "dial_timeout_ms") {
      AGORA_TRY(p.read_uint(node, name, 1, l.dial_timeout_ms));
    } else if (k == "handshake_timeout_ms") {
      AGORA_TRY(p.read_uint(node, name, 1, l.handshake_timeout_ms));
    } else if (k == "idle_timeout_ms") {
      AGORA_TRY(p.read_uint(node, name, 0, l.idle_timeout_ms));
    } else if (k == "upload_bytes_per_second") {
      AGORA_TRY(p.read_uint(node, name, 0, l.upload_bytes_per_second));
    } else if (k == "download_bytes_per_second") {
      AGORA_TRY(p.read_uint(node, name, 0, l.download_bytes_per_second));
    } else if (k == "upload_bytes_per_second_per_peer") {
      AGORA_TRY(p.read_uint(node, name, 0, l.upload_bytes_per_second_per_peer));
    } else if (k == "download_bytes_per_second_per_peer") {
      AGORA_TRY(p.read_uint(node, name, 0, l.download_bytes_per_second_per_peer));
    } else {
      return p.unknown_key(key, "limits.",
                           {"connections_max",
                            "connections_per_peer_max",
                            "inbound_streams_per_connection_max",
                            "streams_max",
                            "streams_per_peer_max",
                            "buffered_bytes_max",
                            "buffered_bytes_per_peer_max",
                            "pending_dials_max",
                            "pending_inbound_handshakes_max",
                            "pending_inbound_handshakes_per_ip_max",
                            "pending_inbound_handshakes_per_group_max",
                            "inbound_connections_per_ip_max",
                            "inbound_connections_per_group_max",
                            "outbound_reserve",
                            "dial_timeout_ms",
                            "handshake_timeout_ms",
                            "first_bytes_timeout_ms",
                            "idle_timeout_ms",
                            "upload_bytes_per_second",
                            "download_bytes_per_second",
                            "upload_bytes_per_second_per_peer",
                            "download_bytes_per_second_per_peer"});
    }
  }
  return {};
}

Status parse_perf(const Parser& p, const toml::table& t, Perf& perf) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "perf." + k;
    if (k == "enabled") {
      AGORA_TRY(p.read_bool(node, name, perf.enabled));
    } else if (k == "download_bytes_max") {
      AGORA_TRY(p.read_uint(node, name, 0, perf.download_bytes_max));
    } else if (k == "stall_timeout_ms") {
      AGORA_TRY(p.read_uint(node, name, 1, perf.stall_timeout_ms));
    } else {
      return p.unknown_key(key, "perf.", {"enabled", "download_bytes_max", "stall_timeout_ms"});
    }
  }
  return {};
}

Status parse_autonat(const Parser& p, const toml::table& t, Autonat& autonat) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    if (k == "serve") {
      AGORA_TRY(p.read_bool(node, "autonat." + k, autonat.serve));
    } else if (k == "check_interval_s") {
      AGORA_TRY(p.read_uint(node, "autonat." + k, 0, autonat.check_interval_s));
    } else {
      return p.unknown_key(key, "autonat.", {"serve", "check_interval_s"});
    }
  }
  return {};
}

Status parse_trace(const Parser& p, const toml::table& t, Trace& trace) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "trace." + k;
    if (k == "spans_max") {
      AGORA_TRY(p.read_uint(node, name, 1, trace.spans_max));
    } else if (k == "served_spans_per_peer_max") {
      AGORA_TRY(p.read_uint(node, name, 1, trace.served_spans_per_peer_max));
    } else if (k == "serve_diag") {
      AGORA_TRY(p.read_bool(node, name, trace.serve_diag));
    } else if (k == "otlp_endpoint") {
      AGORA_TRY(p.read_string(node, name, trace.otlp_endpoint));
      auto endpoint = observe::parse_http_endpoint(trace.otlp_endpoint);
      if (!trace.otlp_endpoint.empty() && !endpoint)
        return p.error_at(node.source(), name + ": " + endpoint.error().message);
    } else if (k == "otlp_interval_ms") {
      AGORA_TRY(p.read_uint(node, name, observe::kOtlpIntervalMsMin, trace.otlp_interval_ms));
      if (trace.otlp_interval_ms > observe::kOtlpIntervalMsMax)
        return p.error_at(node.source(), name + ": " + std::to_string(trace.otlp_interval_ms) +
                                             " is out of range (" +
                                             std::to_string(observe::kOtlpIntervalMsMin) + ".." +
                                             std::to_string(observe::kOtlpIntervalMsMax) + ")");
    } else {
      return p.unknown_key(key, "trace.",
                           {"spans_max", "served_spans_per_peer_max", "serve_diag", "otlp_endpoint",
                            "otlp_interval_ms"});
    }
  }
  return {};
}

Status parse_api(const Parser& p, const toml::table& t, ApiLimits& a) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "api." + k;
    if (k == "header_timeout_ms") {
      AGORA_TRY(p.read_uint(node, name, 1, a.header_timeout_ms));
    } else if (k == "body_timeout_ms") {
      AGORA_TRY(p.read_uint(node, name, 1, a.body_timeout_ms));
    } else if (k == "connections_max") {
      AGORA_TRY(p.read_uint(node, name, 1, a.connections_max));
    } else if (k == "connections_per_client_max") {
      AGORA_TRY(p.read_uint(node, name, 1, a.connections_per_client_max));
    } else if (k == "workers") {
      AGORA_TRY(p.read_uint(node, name, 1, a.workers));
    } else if (k == "long_workers") {
      AGORA_TRY(p.read_uint(node, name, 1, a.long_workers));
    } else if (k == "queue_max") {
      AGORA_TRY(p.read_uint(node, name, 1, a.queue_max));
    } else if (k == "unix_socket") {
      AGORA_TRY(p.read_bool(node, name, a.unix_socket));
    } else {
      return p.unknown_key(
          key, "api.",
          {"header_timeout_ms", "body_timeout_ms", "connections_max", "connections_per_client_max",
           "workers", "long_workers", "queue_max", "unix_socket"});
    }
  }
  return {};
}

Status parse_discovery(const Parser& p, const toml::table& t, bool legacy_bootstrap, Discovery& d) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "discovery." + k;
    if (k == "mdns") {
      AGORA_TRY(p.read_bool(node, name, d.mdns));
    } else if (k == "mdns_interface") {
      AGORA_TRY(p.read_string(node, name, d.mdns_interface));
      Status st = d.mdns_interface.empty() ? Status{} : validate_ipv4_address(d.mdns_interface);
      if (!st.ok()) return p.error_at(node.source(), name + ": " + st.error().message);
    } else if (k == "bootstrap") {
      if (legacy_bootstrap)
        return p.error_at(key.source(),
                          "bootstrap is set both at the top level and in [discovery]; keep the "
                          "one in [discovery]");
      AGORA_TRY(p.read_string_array(node, name, d.bootstrap, validate_bootstrap_addr));
    } else {
      return p.unknown_key(key, "discovery.", {"mdns", "mdns_interface", "bootstrap"});
    }
  }
  return {};
}

Status parse_connections(const Parser& p, const toml::table& t, Connections& c) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "connections." + k;
    if (k == "low_water") {
      AGORA_TRY(p.read_uint(node, name, 0, c.low_water));
    } else if (k == "high_water") {
      AGORA_TRY(p.read_uint(node, name, 1, c.high_water));
    } else if (k == "grace_period_ms") {
      AGORA_TRY(p.read_uint(node, name, 0, c.grace_period_ms));
    } else {
      return p.unknown_key(key, "connections.", {"low_water", "high_water", "grace_period_ms"});
    }
  }
  if (c.low_water > c.high_water)
    return p.error_at(t.source(), "connections: low_water (" + std::to_string(c.low_water) +
                                      ") must not be above high_water (" +
                                      std::to_string(c.high_water) + ")");
  return {};
}

Status parse_peerstore(const Parser& p, const toml::table& t, PeerStoreLimits& l) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "peerstore." + k;
    if (k == "peers_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.peers_max));
    } else if (k == "addrs_per_peer_max") {
      AGORA_TRY(p.read_uint(node, name, 1, l.addrs_per_peer_max));
    } else {
      return p.unknown_key(key, "peerstore.", {"peers_max", "addrs_per_peer_max"});
    }
  }
  return {};
}

Status parse_dht(const Parser& p, const toml::table& t, Dht& d) {
  for (auto&& [key, node] : t) {
    std::string k(key.str());
    std::string name = "dht." + k;
    if (k == "mode") {
      AGORA_TRY(p.read_string(node, name, d.mode));
      if (d.mode != "auto" && d.mode != "server" && d.mode != "client")
        return p.error_at(node.source(), name + ": must be \"auto\", \"server\" or \"client\"");
    } else if (k == "provide") {
      AGORA_TRY(p.read_string(node, name, d.provide));
      if (d.provide != "roots" && d.provide != "all")
        return p.error_at(node.source(), name + ": must be \"roots\" or \"all\"");
    } else if (k == "provide_fetched") {
      AGORA_TRY(p.read_bool(node, name, d.provide_fetched));
    } else if (k == "provider_records_max") {
      AGORA_TRY(p.read_uint(node, name, 1, d.provider_records_max));
    } else if (k == "provider_records_per_peer_max") {
      AGORA_TRY(p.read_uint(node, name, 1, d.provider_records_per_peer_max));
    } else if (k == "provider_records_per_ip_group_max") {
      AGORA_TRY(p.read_uint(node, name, 1, d.provider_records_per_ip_group_max));
    } else if (k == "add_provider_rate_per_s") {
      AGORA_TRY(p.read_uint(node, name, 1, d.add_provider_rate_per_s));
    } else if (k == "add_provider_burst") {
      AGORA_TRY(p.read_uint(node, name, 1, d.add_provider_burst));
    } else if (k == "provider_overflows_before_ban") {
      AGORA_TRY(p.read_uint(node, name, 0, d.provider_overflows_before_ban));
    } else if (k == "provider_ban_s") {
      AGORA_TRY(p.read_uint(node, name, 1, d.provider_ban_s));
    } else {
      return p.unknown_key(key, "dht.",
                           {"mode", "provide", "provide_fetched", "provider_records_max",
                            "provider_records_per_peer_max", "provider_records_per_ip_group_max",
                            "add_provider_rate_per_s", "add_provider_burst",
                            "provider_overflows_before_ban", "provider_ban_s"});
    }
  }
  return {};
}

const toml::table* table_of(const Parser& p, const toml::node& node, const std::string& name,
                            Status& st) {
  const auto* t = node.as_table();
  if (t == nullptr) st = p.error_at(node.source(), name + ": expected a table ([" + name + "])");
  return t;
}

Status parse_table(const Parser& p, const toml::table& root, Config& c) {
  for (auto&& [key, node] : root) {
    std::string k(key.str());
    if (k == "listen") {
      AGORA_TRY(p.read_string_array(node, k, c.listen, validate_listen_addr));
    } else if (k == "api_address") {
      AGORA_TRY(p.read_string(node, k, c.api_address));
      Status st = validate_api_address(c.api_address);
      if (!st.ok()) return p.error_at(node.source(), k + ": " + st.error().message);
    } else if (k == "bootstrap") {  // before [discovery] existed
      AGORA_TRY(p.read_string_array(node, k, c.discovery.bootstrap, validate_bootstrap_addr));
    } else if (k == "event_buffer_max") {
      AGORA_TRY(p.read_uint(node, k, 1, c.event_buffer_max));
    } else if (k == "event_summary_window_ms") {
      AGORA_TRY(p.read_uint(node, k, 0, c.event_summary_window_ms));
      if (c.event_summary_window_ms > kEventSummaryWindowMsMax)
        return p.error_at(node.source(), k + ": " + std::to_string(c.event_summary_window_ms) +
                                             " is out of range (0.." +
                                             std::to_string(kEventSummaryWindowMsMax) + ")");
    } else if (k == "noise_inline_muxer") {
      AGORA_TRY(p.read_bool(node, k, c.noise_inline_muxer));
    } else if (k == "limits") {
      const auto* t = node.as_table();
      if (t == nullptr) return p.error_at(node.source(), "limits: expected a table ([limits])");
      AGORA_TRY(parse_limits(p, *t, c.limits));
    } else if (k == "api" || k == "discovery" || k == "connections" || k == "peerstore" ||
               k == "dht" || k == "perf" || k == "autonat" || k == "trace") {
      Status st;
      const toml::table* t = table_of(p, node, k, st);
      if (t == nullptr) return st;
      if (k == "api") AGORA_TRY(parse_api(p, *t, c.api));
      if (k == "discovery")
        AGORA_TRY(parse_discovery(p, *t, root.contains("bootstrap"), c.discovery));
      if (k == "connections") AGORA_TRY(parse_connections(p, *t, c.connections));
      if (k == "peerstore") AGORA_TRY(parse_peerstore(p, *t, c.peerstore));
      if (k == "dht") AGORA_TRY(parse_dht(p, *t, c.dht));
      if (k == "perf") AGORA_TRY(parse_perf(p, *t, c.perf));
      if (k == "autonat") AGORA_TRY(parse_autonat(p, *t, c.autonat));
      if (k == "trace") AGORA_TRY(parse_trace(p, *t, c.trace));
    } else {
      return p.unknown_key(key, "",
                           {"listen", "api_address", "event_buffer_max", "event_summary_window_ms",
                            "noise_inline_muxer", "api", "limits", "discovery", "connections",
                            "peerstore", "dht", "perf", "autonat", "trace"});
    }
  }
  return {};
}

}  // namespace

// TOML basic string with the escapes the spec requires.
std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string toml_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += toml_quote(items[i]);
  }
  return out + "]";
}

Status validate_listen_addr(std::string_view multiaddr) {
  auto ma = Multiaddr::parse(multiaddr);
  if (!ma.ok()) return multiaddr_error(ma.error());
  if (ma->peer_id()) {
    return make_error(Errc::invalid_input, "a listen address must not contain /p2p/<peer id>");
  }
  return {};
}

Status validate_bootstrap_addr(std::string_view multiaddr) {
  auto ma = Multiaddr::parse(multiaddr);
  if (!ma.ok()) return multiaddr_error(ma.error());
  if (!ma->peer_id()) {
    return make_error(
        Errc::invalid_input,
        "a bootstrap address must end with /p2p/<peer id> (we must know whom we dial)");
  }
  return {};
}

Status validate_ipv4_address(std::string_view text) {
  unsigned char buf[4];
  std::string copy(text);
  if (copy.find('\0') != std::string::npos || inet_pton(AF_INET, copy.c_str(), buf) != 1)
    return make_error(Errc::invalid_input, "'" + copy + "' is not an IPv4 address");
  return {};
}

Status validate_api_address(std::string_view host_port) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_input, "'" + std::string(host_port) + "' is not host:port (" +
                                               why + "); use e.g. 127.0.0.1:5001 or [::1]:5001");
  };
  size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string host(host_port.substr(0, colon));
  std::string_view port = host_port.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return bad("port must be 0..65535");
  }
  // inet_pton reads a C string: an embedded NUL would hide trailing junk.
  if (host.find('\0') != std::string::npos) return bad("NUL byte in host");
  unsigned char buf[16];
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (inet_pton(AF_INET6, host.c_str(), buf) != 1) return bad("bad IPv6 address");
  } else if (inet_pton(AF_INET, host.c_str(), buf) != 1) {
    return bad("host must be an IPv4 address or a bracketed IPv6 address");
  }
  return {};
}

Result<Config> parse_config(std::string_view toml_text, std::string_view source_name) {
  Parser p(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return p.error_at(e.source(), std::string(e.description()));
  }
  Config c;
  AGORA_TRY(parse_table(p, root, c));
  return c;
}

Result<Config> load_config(const std::filesystem::path& path) {
  AGORA_ASSIGN(std::string text, read_file(path, kConfigFileBytesMax));
  return parse_config(text, path.string());
}

}  // namespace agora::store
