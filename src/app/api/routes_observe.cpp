// What the node observed: the flight recorder's events and the metrics. Both read thread-safe
// stores, so they answer without the node's loop.
#include <httplib.h>

#include "app/api/events_query.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"
#include "app/cli/trace_format.h"

namespace agora {

void add_observe_routes(httplib::Server& s, Node& node) {
  s.Get("/api/v0/events", [&node](const httplib::Request& req, httplib::Response& res) {
    auto param = [&req](const char* name) -> std::optional<std::string> {
      if (!req.has_param(name)) return std::nullopt;
      return req.get_param_value(name);
    };
    auto query = parse_events_query(param("since"), param("limit"));
    if (!query) return send_bad_request(res, query.error());
    send_json(res, node.events(query->since, size_t(query->limit)));
  });
  s.Get("/api/v0/trace", [&node](const httplib::Request& req, httplib::Response& res) {
    auto trace = node.trace(req.get_param_value("arg"), param_true(req, "peers", true));
    // linked=1: each span with its parent resolved across nodes, as `trace show` draws it.
    if (trace && param_true(req, "linked", false)) (*trace)["spans"] = link_spans(*trace);
    send_result(res, trace, IoMeans::network);
  });
  s.Get("/api/v0/traces", [&node](const httplib::Request& req, httplib::Response& res) {
    uint64_t limit = 20;
    if (req.has_param("limit")) {
      auto n = parse_u64(req.get_param_value("limit"), "limit");
      if (!n || *n < 1 || *n > 1000)
        return send_bad_request(res, make_error(Errc::invalid_input, "limit must be 1..1000"));
      limit = *n;
    }
    send_json(res, node.traces(size_t(limit)));
  });
  s.Get("/metrics", [&node](const httplib::Request&, httplib::Response& res) {
    res.set_content(node.metrics_text(), std::string(Node::kMetricsContentType));
  });
}

}  // namespace agora
