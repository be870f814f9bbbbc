// OTLP/JSON for a trace's spans, over the conversion the daemon's exporter uses
// (src/observe/otlp_json.h), so `agora trace show --format otlp` and a collector get one shape.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace agora {

// One OTLP span from a linked span: the daemon's span JSON with "trace_id", "parent" (the span
// id it hangs under, or "") and "linked_from" (the request span it served, or "").
nlohmann::json otlp_span(const nlohmann::json& linked_span);

// A resourceSpans entry for the OTLP spans recorded by the node `node` (a peer id):
// service.name "agora", service.instance.id `node`.
nlohmann::json otlp_resource_spans(const std::string& node, nlohmann::json spans);

}  // namespace agora
