// Showing a merged trace (the daemon's /api/v0/trace answer, docs/tracing.md) three ways:
//
// - text: the span tree, each span with a bar on the trace's timeline, the node that recorded
//   it, the peer, protocol, key, bytes and outcome;
// - otlp: OTLP/JSON (opentelemetry-proto's JSON mapping) with one resourceSpans entry per node,
//   its resource naming service.name "agora" and service.instance.id the node's peer id; ids as
//   lowercase hex (32 and 16 digits), times as decimal strings of Unix nanoseconds; each span
//   converted by include/agora/otlp.h, the conversion the daemon's exporter uses too;
// - perfetto: Chrome trace-event JSON (loads in ui.perfetto.dev and chrome://tracing): one
//   process per node, one complete event per span, and a flow arrow from each request to the
//   span that served it on the other node.
//
// Linking: a span another node served for one of this node's requests hangs under that request
// (the request span to that node whose time overlaps it most, with the same key when both have
// one). That is also how a served span of a standard protocol, which carries no trace id, joins
// the trace: it takes the trace id and that parent. A served span no request matches (identify,
// run on every new connection) hangs under the operation here it happened during.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace agora {

// The spans with their parents resolved as above: each has "parent" (a span_id, or empty for a
// root), "linked_from" (the request it served, or empty), "depth", and "trace_id" set; sorted
// by start, children after their parent.
nlohmann::json link_spans(const nlohmann::json& trace);

std::string trace_text(const nlohmann::json& trace, size_t timeline_width = 32);
nlohmann::json trace_otlp(const nlohmann::json& trace);
nlohmann::json trace_perfetto(const nlohmann::json& trace);

// A new W3C traceparent for the CLI's --trace: {trace id hex, header}.
std::pair<std::string, std::string> new_traceparent();

}  // namespace agora
