// Connections: who we are, who we are connected to, dialing, closing, ping and perf.
#include <httplib.h>

#include "agora/names.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

namespace {

using nlohmann::json;

void connection_routes(httplib::Server& s, Node& node) {
  s.Get("/api/v0/id",
        [&node](const httplib::Request&, httplib::Response& res) { send_json(res, node.id()); });
  s.Get("/api/v0/swarm/peers",
        [&node](const httplib::Request&, httplib::Response& res) { send_json(res, node.peers()); });
  s.Get("/api/v0/swarm/limits", [&node](const httplib::Request&, httplib::Response& res) {
    send_json(res, node.swarm_limits());
  });
  s.Post("/api/v0/swarm/connect", [&node](const httplib::Request& req, httplib::Response& res) {
    std::string addr = req.get_param_value("arg");
    if (Status st = validate_multiaddr(addr); !st) return send_bad_request(res, st.error());
    send_result(res, node.connect(addr), IoMeans::network);
  });
  s.Post("/api/v0/swarm/disconnect", [&node](const httplib::Request& req, httplib::Response& res) {
    std::string peer = req.get_param_value("arg");
    if (Status st = validate_peer_id(peer); !st) return send_bad_request(res, st.error());
    send_result(res, node.disconnect(peer));
  });
}

void measure_routes(httplib::Server& s, Node& node) {
  s.Post("/api/v0/ping", [&node](const httplib::Request& req, httplib::Response& res) {
    std::string addr = req.get_param_value("arg");
    if (Status st = validate_peer_target(addr); !st) return send_bad_request(res, st.error());
    auto count = parse_u64(req.has_param("count") ? req.get_param_value("count") : "1", "count");
    if (!count || *count < 1 || *count > 1000)
      return send_bad_request(res, make_error(Errc::invalid_input, "count must be 1..1000"));
    auto r = node.ping(addr, int(*count));
    if (!r) return send_error(res, r.error(), IoMeans::network);
    send_json(res, {{"peer", r->peer}, {"rtt_ms", r->rtt_ms}});
  });
  s.Post("/api/v0/perf", [&node](const httplib::Request& req, httplib::Response& res) {
    std::string addr = req.get_param_value("arg");
    if (Status st = validate_peer_target(addr); !st) return send_bad_request(res, st.error());
    auto up = parse_u64(req.get_param_value("upload"), "upload");
    auto down = parse_u64(req.get_param_value("download"), "download");
    if (!up) return send_bad_request(res, up.error());
    if (!down) return send_bad_request(res, down.error());
    send_result(res, node.perf(addr, *up, *down), IoMeans::network);
  });
  s.Post("/api/v0/swarm/reachability", [&node](const httplib::Request& req,
                                               httplib::Response& res) {
    auto peers = parse_u64(req.has_param("peers") ? req.get_param_value("peers") : "3", "peers");
    if (!peers || *peers < 1 || *peers > 8)
      return send_bad_request(res, make_error(Errc::invalid_input, "peers must be 1..8"));
    send_result(res, node.reachability(size_t(*peers)));
  });
}

}  // namespace

void add_swarm_routes(httplib::Server& s, Node& node) {
  connection_routes(s, node);
  measure_routes(s, node);
}

}  // namespace agora
