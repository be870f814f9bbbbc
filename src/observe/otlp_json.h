// Spans as OTLP/JSON (opentelemetry-proto's JSON mapping of ExportTraceServiceRequest): the one
// conversion both `agora trace show --format otlp` (through include/agora/otlp.h) and the
// daemon's exporter to a collector (observe/otlp_exporter.h) use, so both write one shape.
//
// - A resourceSpans entry per node: its resource names service.name "agora" and
//   service.instance.id the node's peer id; one scope, "agora" at this version.
// - Ids as lowercase hex (32 and 16 digits), times as decimal strings of Unix nanoseconds.
// - kind: internal (an operation: no peer), server (a stream served) or client (a request).
// - status: ok; unset for a stream aborted by its own side or reset by the other (not an error
//   in itself); error otherwise, with the outcome and detail as its message.
// - A served span the CLI linked to the request it served has a `links` entry to it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "observe/spans.h"

namespace agora::observe {

// One OTLP span from a span in its linked JSON form: to_json(Span) (observe/spans.h) with
// "trace_id" always set, "parent" (the span id it hangs under, or "") and "linked_from" (the
// request span it served, or ""); optional "clock_offset_ns" becomes an attribute.
nlohmann::json otlp_span(const nlohmann::json& linked);

// A resourceSpans entry: `spans` (OTLP spans) recorded by the node `node` (a peer id).
nlohmann::json otlp_resource_spans(const std::string& node, nlohmann::json spans);

// A span recorded here in the linked form: its parent is its parent_span_id, nothing links it.
// A span with no trace id (served over a standard protocol: the trace never travelled) is
// exported as the root of a trace of its own, whose id is its span id after 8 zero bytes (how
// 64-bit trace ids map to W3C's), so a retried export sends the same ids.
nlohmann::json linked_form(const Span& span);

// The body of one export: {"resourceSpans": [the spans, recorded by `node`]}.
std::string otlp_export_body(const std::string& node, const std::vector<Span>& spans);

}  // namespace agora::observe
