#include "app/cli/trace_format.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

#include "agora/otlp.h"
#include "app/cli/cli_util.h"
#include "app/cli/progress_bar.h"

namespace agora {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
int64_t num(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// This node's spans by the peer they went to (requests) or none (operations), for linking.
struct LocalIndex {
  std::map<std::string, std::vector<const json*>> requests_to;
  std::vector<const json*> operations;
};

LocalIndex index_local(const std::vector<json>& spans, const std::string& self) {
  LocalIndex index;
  for (const json& s : spans) {
    if (str(s, "node") != self) continue;
    if (str(s, "peer").empty())
      index.operations.push_back(&s);
    else if (str(s, "direction") == "outbound")
      index.requests_to[str(s, "peer")].push_back(&s);
  }
  return index;
}

// The request span of `served`'s node that it served: same peer, keys agree, most overlap. With
// `operation`: instead the operation here (no peer) it happened during, most overlap.
std::string served_request(const json& served, const LocalIndex& index, bool operation = false) {
  std::string best;
  int64_t best_overlap = -1;
  const std::string key = str(served, "key");
  static const std::vector<const json*> kNone;
  auto it = index.requests_to.find(str(served, "node"));
  const auto& candidates = operation                       ? index.operations
                           : it == index.requests_to.end() ? kNone
                                                           : it->second;
  for (const json* r : candidates) {
    if (!operation && !key.empty() && !str(*r, "key").empty() && key != str(*r, "key")) continue;
    int64_t overlap = std::min(num(*r, "end_ns"), num(served, "end_ns")) -
                      std::max(num(*r, "start_ns"), num(served, "start_ns"));
    if (overlap > best_overlap) {
      best_overlap = overlap;
      best = str(*r, "span_id");
    }
  }
  return best;
}

std::string short_peer(const std::string& peer) {
  return peer.size() > 12 ? "…" + peer.substr(peer.size() - 8) : peer;
}

}  // namespace

json link_spans(const json& trace) {
  const std::string self = str(trace, "node"), trace_id = str(trace, "trace_id");
  const json listed = trace.value("spans", json::array());
  std::vector<json> spans(listed.begin(), listed.end());
  std::set<std::string> ids;
  for (const json& s : spans) ids.insert(str(s, "span_id"));
  const LocalIndex local = index_local(spans, self);
  std::map<std::string, std::vector<size_t>> children;
  std::vector<size_t> roots;
  for (size_t i = 0; i < spans.size(); ++i) {
    json& s = spans[i];
    std::string parent = str(s, "parent_span_id");
    std::string linked;
    if (str(s, "node") != self) linked = served_request(s, local);
    // A served span hangs under the request it served (its own parent, when it came with the
    // request's context, is that request's operation: the request is the closer cause). One
    // that no request here matches (identify, which the runtime runs on every connection)
    // hangs under the operation it happened during.
    if (!linked.empty()) parent = linked;
    if (str(s, "node") != self && linked.empty() && !ids.contains(parent))
      parent = served_request(s, local, true);
    if (!ids.contains(parent) || parent == str(s, "span_id")) parent.clear();
    s["parent"] = parent;
    s["linked_from"] = linked;
    s["trace_id"] = trace_id;
    (parent.empty() ? roots : children[parent]).push_back(i);
  }
  auto by_start = [&](size_t a, size_t b) {
    return num(spans[a], "start_ns") < num(spans[b], "start_ns");
  };
  // Each span once: a cycle of parents (ids a peer made up) cannot loop, and spans left out of
  // the tree by one come last, as roots.
  json out = json::array();
  std::vector<bool> visited(spans.size(), false);
  constexpr int kDepthMax = 64;  // deeper (only made-up chains are) starts again as a root
  std::function<void(size_t, int)> visit = [&](size_t i, int depth) {
    if (visited[i] || depth > kDepthMax) return;
    visited[i] = true;
    spans[i]["depth"] = depth;
    out.push_back(spans[i]);
    auto& kids = children[str(spans[i], "span_id")];
    std::sort(kids.begin(), kids.end(), by_start);
    for (size_t k : kids) visit(k, depth + 1);
  };
  std::sort(roots.begin(), roots.end(), by_start);
  for (size_t r : roots) visit(r, 0);
  for (size_t i = 0; i < spans.size(); ++i) {
    if (visited[i]) continue;
    spans[i]["parent"] = "";
    visit(i, 0);
  }
  return out;
}

std::string trace_text(const json& trace, size_t width) {
  json spans = link_spans(trace);
  int64_t first = INT64_MAX, last = 0;
  for (const json& s : spans) {
    first = std::min(first, num(s, "start_ns"));
    last = std::max(last, num(s, "end_ns"));
  }
  const double total = std::max<int64_t>(1, last - first);
  std::string out = "trace " + str(trace, "trace_id") + ": " + std::to_string(spans.size()) +
                    " spans, " + std::to_string(int64_t(total / 1e6)) + " ms, recorded by\n";
  std::set<std::string> nodes;
  for (const json& s : spans) nodes.insert(str(s, "node"));
  for (const std::string& n : nodes)
    out += "  " + n + (n == str(trace, "node") ? " (here)\n" : "\n");
  for (const json& p : trace.value("peers", json::array())) {
    if (p.value("answered", false)) {
      char line[200];
      std::snprintf(
          line, sizeof line, "  %s answered: %lld spans, clock offset %+.3f ms (±%.3f)%s\n",
          short_peer(str(p, "peer")).c_str(), (long long)num(p, "spans"),
          double(num(p, "clock_offset_ns")) / 1e6, double(num(p, "clock_error_ns")) / 1e6,
          num(p, "clock_offset_applied_ns") == 0 ? ", within its error: not applied" : ", applied");
      out += line;
    } else {
      out += "  " + short_peer(str(p, "peer")) + " did not answer: " + str(p, "error") + "\n";
    }
  }
  for (const json& s : spans) {
    size_t from = size_t(double(num(s, "start_ns") - first) / total * double(width));
    size_t to = size_t(double(num(s, "end_ns") - first) / total * double(width));
    from = std::min(from, width - 1);
    to = std::clamp(to, from + 1, width);
    std::string bar =
        std::string(from, ' ') + std::string(to - from, '=') + std::string(width - to, ' ');
    char timing[64];
    std::snprintf(timing, sizeof timing, "%8.1f ms %8.1f ms",
                  double(num(s, "start_ns") - first) / 1e6,
                  double(num(s, "end_ns") - num(s, "start_ns")) / 1e6);
    std::string line = "|" + bar + "| " + timing + " " +
                       std::string(size_t(2 * num(s, "depth")), ' ') + str(s, "name");
    line += " on " + short_peer(str(s, "node"));
    if (!str(s, "peer").empty())
      line += (str(s, "direction") == "inbound" ? " for " : " to ") + short_peer(str(s, "peer"));
    if (!str(s, "protocol").empty()) line += " " + str(s, "protocol");
    if (!str(s, "key").empty()) line += " " + str(s, "key");
    uint64_t sent = s.value("bytes_sent", uint64_t(0)),
             got = s.value("bytes_received", uint64_t(0));
    if (sent || got)
      line +=
          " (sent " + human_bytes(double(sent)) + ", received " + human_bytes(double(got)) + ")";
    if (str(s, "outcome") != "ok") line += " " + str(s, "outcome") + ": " + str(s, "detail");
    out += line + "\n";
  }
  return out;
}

json trace_otlp(const json& trace) {
  const json spans = link_spans(trace);
  std::map<std::string, json> by_node;
  for (const json& s : spans) by_node[str(s, "node")].push_back(otlp_span(s));
  json resource_spans = json::array();
  for (auto& [node, list] : by_node)
    resource_spans.push_back(otlp_resource_spans(node, std::move(list)));
  return {{"resourceSpans", resource_spans}};
}

json trace_perfetto(const json& trace) {
  json spans = link_spans(trace);
  std::map<std::string, int> pid_of;
  json events = json::array();
  for (const json& s : spans) {
    auto [it, added] = pid_of.emplace(str(s, "node"), int(pid_of.size()) + 1);
    if (added)
      events.push_back({{"name", "process_name"},
                        {"ph", "M"},
                        {"pid", it->second},
                        {"tid", 0},
                        {"args", {{"name", "agora " + it->first}}}});
  }
  // Lanes: a span goes on the first thread of its node whose last span has ended.
  std::map<std::string, std::vector<int64_t>> lane_ends;
  std::map<std::string, std::pair<int, int>> where;  // span id -> pid, tid
  for (const json& s : spans) {
    const std::string node = str(s, "node");
    auto& lanes = lane_ends[node];
    size_t lane = 0;
    while (lane < lanes.size() && lanes[lane] > num(s, "start_ns")) ++lane;
    if (lane == lanes.size()) lanes.push_back(0);
    lanes[lane] = num(s, "end_ns");
    int pid = pid_of[node], tid = int(lane) + 1;
    where[str(s, "span_id")] = {pid, tid};
    json args = {{"span_id", str(s, "span_id")}, {"outcome", str(s, "outcome")}};
    for (const char* k : {"peer", "protocol", "key", "detail"})
      if (!str(s, k).empty()) args[k] = str(s, k);
    args["bytes_sent"] = s.value("bytes_sent", uint64_t(0));
    args["bytes_received"] = s.value("bytes_received", uint64_t(0));
    events.push_back(
        {{"name", str(s, "name") + (str(s, "protocol").empty() ? "" : " " + str(s, "protocol"))},
         {"cat", str(s, "direction")},
         {"ph", "X"},
         {"pid", pid},
         {"tid", tid},
         {"ts", double(num(s, "start_ns")) / 1e3},
         {"dur", double(num(s, "end_ns") - num(s, "start_ns")) / 1e3},
         {"args", args}});
  }
  int flow = 0;
  for (const json& s : spans) {
    std::string from = str(s, "linked_from");
    if (from.empty() || !where.contains(from)) continue;
    ++flow;
    auto [fpid, ftid] = where[from];
    auto [tpid, ttid] = where[str(s, "span_id")];
    events.push_back({{"name", "request"},
                      {"cat", "flow"},
                      {"ph", "s"},
                      {"id", flow},
                      {"pid", fpid},
                      {"tid", ftid},
                      {"ts", double(num(s, "start_ns")) / 1e3}});
    events.push_back({{"name", "request"},
                      {"cat", "flow"},
                      {"ph", "f"},
                      {"bp", "e"},
                      {"id", flow},
                      {"pid", tpid},
                      {"tid", ttid},
                      {"ts", double(num(s, "start_ns")) / 1e3}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

std::pair<std::string, std::string> new_traceparent() {
  auto nonzero = [](size_t bytes) {  // W3C: an all-zero id is invalid
    std::string hex;
    do hex = random_hex(bytes);
    while (hex.find_first_not_of('0') == std::string::npos);
    return hex;
  };
  std::string trace_id = nonzero(16);
  return {trace_id, "00-" + trace_id + "-" + nonzero(8) + "-01"};
}

}  // namespace agora
