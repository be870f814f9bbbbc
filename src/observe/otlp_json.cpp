#include "observe/otlp_json.h"

#include <algorithm>

#include "agora/version.h"

namespace agora::observe {

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

}  // namespace

json otlp_span(const json& s) {
  const std::string dir = str(s, "direction");
  int kind = str(s, "peer").empty() ? 1 : dir == "inbound" ? 2 : 3;  // internal, server, client
  json attrs = json::array();
  auto attr = [&attrs](const char* key, json value) {
    attrs.push_back({{"key", key}, {"value", std::move(value)}});
  };
  if (!str(s, "peer").empty()) attr("net.peer.id", {{"stringValue", str(s, "peer")}});
  if (!str(s, "protocol").empty()) attr("agora.protocol", {{"stringValue", str(s, "protocol")}});
  if (!str(s, "key").empty()) attr("agora.key", {{"stringValue", str(s, "key")}});
  attr("agora.bytes_sent", {{"intValue", std::to_string(s.value("bytes_sent", uint64_t(0)))}});
  attr("agora.bytes_received",
       {{"intValue", std::to_string(s.value("bytes_received", uint64_t(0)))}});
  if (s.contains("clock_offset_ns"))
    attr("agora.clock_offset_ns", {{"intValue", std::to_string(num(s, "clock_offset_ns"))}});
  // ok; aborted by its own side or reset by the other: not an error in itself; else an error.
  const std::string outcome = str(s, "outcome");
  const int code = outcome == "ok" ? 1 : outcome == "aborted" || outcome == "reset" ? 0 : 2;
  json span = {
      {"traceId", str(s, "trace_id")},
      {"spanId", str(s, "span_id")},
      {"parentSpanId", str(s, "parent")},
      {"name", str(s, "name") + (str(s, "protocol").empty() ? "" : " " + str(s, "protocol"))},
      {"kind", kind},
      {"startTimeUnixNano", std::to_string(num(s, "start_ns"))},
      {"endTimeUnixNano", std::to_string(num(s, "end_ns"))},
      {"attributes", attrs},
      {"status", code == 1 ? json{{"code", 1}}
                           : json{{"code", code}, {"message", outcome + ": " + str(s, "detail")}}}};
  if (!str(s, "linked_from").empty())
    span["links"] =
        json::array({{{"traceId", str(s, "trace_id")}, {"spanId", str(s, "linked_from")}}});
  return span;
}

json otlp_resource_spans(const std::string& node, json spans) {
  json resource = {
      {"attributes",
       json::array({{{"key", "service.name"}, {"value", {{"stringValue", "agora"}}}},
                    {{"key", "service.instance.id"}, {"value", {{"stringValue", node}}}}})}};
  return {{"resource", resource},
          {"scopeSpans", json::array({{{"scope", {{"name", "agora"}, {"version", kAgoraVersion}}},
                                       {"spans", std::move(spans)}}})}};
}

json linked_form(const Span& span) {
  json j = to_json(span);
  TraceId trace = span.trace_id;
  if (is_zero_id(trace)) std::copy(span.span_id.begin(), span.span_id.end(), trace.begin() + 8);
  j["trace_id"] = to_hex(trace);
  j["parent"] = is_zero_id(span.parent_span_id) ? std::string() : to_hex(span.parent_span_id);
  j["linked_from"] = "";
  return j;
}

std::string otlp_export_body(const std::string& node, const std::vector<Span>& spans) {
  json list = json::array();
  for (const Span& s : spans) list.push_back(otlp_span(linked_form(s)));
  json body = {{"resourceSpans", json::array({otlp_resource_spans(node, std::move(list))})}};
  // Strings were cleaned when recorded (valid UTF-8); replace anyway rather than throw.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace agora::observe
