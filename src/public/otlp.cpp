// include/agora/otlp.h over the exporter's own conversion (observe/otlp_json.h): one copy.
#include "agora/otlp.h"

#include "observe/otlp_json.h"

namespace agora {

nlohmann::json otlp_span(const nlohmann::json& linked_span) {
  return observe::otlp_span(linked_span);
}

nlohmann::json otlp_resource_spans(const std::string& node, nlohmann::json spans) {
  return observe::otlp_resource_spans(node, std::move(spans));
}

}  // namespace agora
