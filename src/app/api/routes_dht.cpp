// The DHT: status, routing table, findpeer, findprovs, get, put and a lookup that streams every
// step (see docs/api.md). Query errors are the network's (an io error is a peer's connection).
#include <httplib.h>

#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

namespace {

void query_routes(httplib::Server& s, Node& node) {
  s.Post("/api/v0/dht/findpeer", [&node](const httplib::Request& req, httplib::Response& res) {
    send_result(res,
                node.dht_find_peer(req.get_param_value("arg"), req.get_header_value("traceparent")),
                IoMeans::network);
  });
  s.Post("/api/v0/dht/findprovs", [&node](const httplib::Request& req, httplib::Response& res) {
    send_result(
        res,
        node.dht_find_providers(req.get_param_value("arg"), req.get_header_value("traceparent")),
        IoMeans::network);
  });
  s.Post("/api/v0/dht/get", [&node](const httplib::Request& req, httplib::Response& res) {
    send_result(res, node.dht_get(req.get_param_value("arg")), IoMeans::network);
  });
  // The value is the request body: the PublicKey protobuf for a /pk/ key.
  s.Post("/api/v0/dht/put", [&node](const httplib::Request& req, httplib::Response& res) {
    std::span<const uint8_t> value(reinterpret_cast<const uint8_t*>(req.body.data()),
                                   req.body.size());
    send_result(res, node.dht_put(req.get_param_value("arg"), value), IoMeans::network);
  });
}

// Streams {"step": ...} lines as the lookup runs, then its result (or an error).
void lookup_route(httplib::Server& s, Node& node) {
  s.Post("/api/v0/dht/query", [&node](const httplib::Request& req, httplib::Response& res) {
    std::string key = req.get_param_value("arg");
    if (Status st = Node::validate_dht_key(key, false); !st) return send_error(res, st.error());
    res.set_chunked_content_provider(
        "application/x-ndjson", [&node, key](size_t, httplib::DataSink& sink) {
          auto done = node.dht_query(key, [&sink](const nlohmann::json& step) {
            write_line(sink, {{"step", step}});
          });
          write_line(sink, done ? *done : error_json(done.error()));
          sink.done();
          return true;
        });
  });
}

}  // namespace

void add_dht_routes(httplib::Server& s, Node& node) {
  s.Get("/api/v0/dht/status", [&node](const httplib::Request&, httplib::Response& res) {
    send_result(res, node.dht_status());
  });
  s.Get("/api/v0/dht/table", [&node](const httplib::Request&, httplib::Response& res) {
    send_result(res, node.dht_table());
  });
  query_routes(s, node);
  lookup_route(s, node);
}

}  // namespace agora
