// Operations running in the node (get, cat, ls, pin add, add, fetch): list them, cancel one.
// Both answer at once (the short lane), so a cancel gets through while long calls fill theirs.
#include <httplib.h>

#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

nlohmann::json operations_json(Node& node) {
  nlohmann::json list = nlohmann::json::array();
  for (const OperationInfo& op : node.operations()) {
    nlohmann::json sources = nlohmann::json::array();
    for (const OperationSource& s : op.sources) {
      nlohmann::json source = {
          {"peer", s.peer}, {"bytes", s.bytes}, {"bytes_per_second", s.bytes_per_second}};
      if (s.choked) source["choked"] = *s.choked;
      sources.push_back(std::move(source));
    }
    nlohmann::json entry = {{"id", op.id},         {"kind", op.kind},
                            {"target", op.target}, {"seconds", op.seconds},
                            {"bytes", op.bytes},   {"cancelling", op.cancelling},
                            {"sources", sources}};
    if (!op.phase.empty()) {
      entry["phase"] = op.phase;
      entry["total_bytes"] = op.total_bytes;
    }
    list.push_back(std::move(entry));
  }
  return {{"operations", list}};
}

void add_ops_routes(httplib::Server& s, Node& node) {
  s.Get("/api/v0/ops", [&node](const httplib::Request&, httplib::Response& res) {
    send_json(res, operations_json(node));
  });
  s.Post("/api/v0/ops/cancel", [&node](const httplib::Request& req, httplib::Response& res) {
    auto id = parse_u64(req.get_param_value("arg"), "operation id");
    if (!id) return send_bad_request(res, id.error());
    if (Status st = node.cancel_operation(*id); !st) return send_error(res, st.error());
    send_json(res, {{"id", *id}, {"cancelling", true}});
  });
}

}  // namespace agora
