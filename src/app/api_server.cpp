#include "app/api_server.h"

#include <httplib.h>

#include <future>
#include <set>

#include "app/api_content.h"
#include "app/api_dht.h"
#include "app/api_gate.h"
#include "app/api_http.h"
#include "app/api_json.h"
#include "app/events_view.h"

namespace agora {

namespace {

struct Reply {
  int status = 200;
  nlohmann::json body;
};

Reply fail(int status, const Error& e) { return {status, error_json(e)}; }

// Runs a coroutine on the node's event loop and waits for its reply.
Reply on_loop(asio::io_context& io, std::function<rt::awaitable<Reply>()> fn) {
  auto promise = std::make_shared<std::promise<Reply>>();
  auto future = promise->get_future();
  asio::co_spawn(io, std::move(fn), [promise](std::exception_ptr e, Reply r) {
    if (e) r = fail(500, make_error(Errc::internal, "request failed inside the node"));
    promise->set_value(std::move(r));
  });
  return future.get();
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void send(httplib::Response& res, const Reply& r) {
  res.status = r.status;
  res.set_content(r.body.dump(), "application/json");
}

}  // namespace

// httplib's router, fed one request at a time by the gate.
class ApiRoutes : public httplib::Server {
 public:
  // httplib ends streamed answers (get, add, cat, dht query) once svr_sock_ is INVALID_SOCKET,
  // which it is until listen(); this server has no socket of its own, so any other value
  // means "serving".
  ApiRoutes() { svr_sock_ = 0; }
  void serve(httplib::Stream& stream) {
    bool closed = false;
    process_request(stream, /*close_connection=*/true, closed, nullptr);
  }
  // Streamed answers in progress stop at their next chunk.
  void stop_streams() { svr_sock_ = INVALID_SOCKET; }
};

namespace {

// Calls that answer from memory at once; anything else (add, get, ping, dht queries, repo stat,
// which stats every block file, and any route not named here) runs on the long-call threads.
ApiLane lane_of(std::string_view method, std::string_view path) {
  static const std::set<std::string_view> short_gets = {"/api/v0/id",
                                                        "/api/v0/swarm/peers",
                                                        "/api/v0/swarm/known",
                                                        "/api/v0/swarm/limits",
                                                        "/api/v0/events",
                                                        "/metrics",
                                                        "/api/v0/bootstrap/list",
                                                        "/api/v0/dht/status",
                                                        "/api/v0/dht/table"};
  static const std::set<std::string_view> short_posts = {
      "/api/v0/swarm/disconnect", "/api/v0/bootstrap/add",   "/api/v0/bootstrap/rm",
      "/api/v0/swarm/protect",    "/api/v0/swarm/unprotect", "/api/v0/shutdown"};
  if (method == "GET" && short_gets.contains(path)) return ApiLane::short_call;
  if (method == "POST" && short_posts.contains(path)) return ApiLane::short_call;
  return ApiLane::long_call;
}

constexpr const char* kRefusalReasons[] = {"connections_max", "connections_per_client_max",
                                           "header_timeout", "header_too_large", "queue_max"};

}  // namespace

ApiServer::ApiServer(Node& node, std::string token, const store::ApiLimits& limits,
                     Content* content)
    : node_(node),
      content_(content),
      token_(std::move(token)),
      limits_(limits),
      server_(std::make_unique<ApiRoutes>()) {
  for (const char* reason : kRefusalReasons)
    node_.metrics().counter("agora_api_refused_total",
                            "Local API connections refused or cut off, by limit",
                            {{"reason", reason}});
}

ApiServer::~ApiServer() { stop(); }

Status ApiServer::start(const std::string& host_port, const std::string& unix_path) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos)
    return make_error(Errc::invalid_input, "API address needs host:port: " + host_port);
  std::string host = host_port.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = parse_u64(host_port.substr(colon + 1), "API port");
  if (!port || *port > 65535)
    return make_error(Errc::invalid_input, "bad API port in " + host_port);
  if (host != "127.0.0.1" && host != "::1" && host != "localhost")
    return make_error(Errc::invalid_input, "the API listens on loopback only, not " + host);
  routes();
  gate_ = std::make_unique<ApiGate>(
      limits_, [this](ApiConnection& c) { server_->serve(c); }, lane_of,
      [this](const char* reason, const std::string& client) { refused(reason, client); });
  AGORA_ASSIGN(int bound, gate_->listen_tcp(host, int(*port)));
  // The socket is a convenience beside TCP: a repo on a filesystem without sockets (some FUSE,
  // 9p or shared folders) still gets a daemon, over TCP only.
  if (!unix_path.empty()) {
    if (Status st = gate_->listen_unix(unix_path); st) {
      unix_path_ = unix_path;
    } else {
      unix_error_ = st.error().message;
    }
  }
  url_ = "http://" + (host == "::1" ? "[::1]" : host) + ":" + std::to_string(bound);
  gate_->start();
  return {};
}

void ApiServer::stop() {
  server_->stop_streams();
  if (gate_) gate_->stop();
}

void ApiServer::refused(const char* reason, const std::string& client) {
  node_.metrics()
      .counter("agora_api_refused_total", "Local API connections refused or cut off, by limit",
               {{"reason", reason}})
      .inc();
  // One event per refusal: the recorder folds a flood of them into rate-limited summaries.
  observe::Event e;
  e.type = observe::EventType::limit_hit;
  e.direction = observe::Direction::inbound;
  e.protocol = "http-api";
  e.reason = reason;
  e.detail = "local API client " + client + " refused or cut off (" + reason + ")";
  node_.events().record(std::move(e));
}

void ApiServer::routes() {
  auto& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    std::string auth = req.get_header_value("Authorization");
    if (!constant_time_equal(auth, "Bearer " + token_)) {
      send(res, fail(401, make_error(Errc::invalid_input,
                                     "missing or wrong API token (see api.token in the repo)")));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  asio::io_context& io = node_.io();

  s.Get("/api/v0/id", [this, &io](const httplib::Request&, httplib::Response& res) {
    send(res, on_loop(io, [this]() -> rt::awaitable<Reply> {
           co_return Reply{200, id_json(node_)};
         }));
  });
  s.Get("/api/v0/swarm/peers", [this, &io](const httplib::Request&, httplib::Response& res) {
    send(res, on_loop(io, [this]() -> rt::awaitable<Reply> {
           co_return Reply{200, peers_json(node_)};
         }));
  });
  s.Get("/api/v0/swarm/limits", [this, &io](const httplib::Request&, httplib::Response& res) {
    send(res, on_loop(io, [this]() -> rt::awaitable<Reply> {
           co_return Reply{200, swarm_limits_json(node_)};
         }));
  });
  s.Post("/api/v0/swarm/connect", [this, &io](const httplib::Request& req, httplib::Response& res) {
    auto addr = Multiaddr::parse(req.get_param_value("arg"));
    if (!addr) return send(res, fail(400, addr.error()));
    send(res, on_loop(io, [this, a = *addr]() -> rt::awaitable<Reply> {
           auto conn = co_await node_.connect(a);
           if (!conn)
             co_return fail(api_error_status(conn.error().code, IoMeans::network), conn.error());
           co_return Reply{200,
                           {{"peer", (*conn)->info().peer.to_string()},
                            {"addr", (*conn)->info().remote_addr.to_string()}}};
         }));
  });
  s.Post("/api/v0/swarm/disconnect", [this, &io](const httplib::Request& req,
                                                 httplib::Response& res) {
    auto peer = PeerId::parse(req.get_param_value("arg"));
    if (!peer) return send(res, fail(400, peer.error()));
    send(res, on_loop(io, [this, p = *peer]() -> rt::awaitable<Reply> {
           size_t n = node_.swarm().disconnect(p, "disconnected by the user");
           if (n == 0)
             co_return fail(404, make_error(Errc::not_found, "not connected to " + p.to_string()));
           co_return Reply{200, {{"peer", p.to_string()}, {"connections_closed", n}}};
         }));
  });
  s.Post("/api/v0/ping", [this, &io](const httplib::Request& req, httplib::Response& res) {
    auto addr = Multiaddr::parse(req.get_param_value("arg"));
    if (!addr) return send(res, fail(400, addr.error()));
    auto count = parse_u64(req.has_param("count") ? req.get_param_value("count") : "1", "count");
    if (!count || *count < 1 || *count > 1000)
      return send(res, fail(400, make_error(Errc::invalid_input, "count must be 1..1000")));
    send(res, on_loop(io, [this, a = *addr, n = int(*count)]() -> rt::awaitable<Reply> {
           auto conn = co_await node_.connect(a);
           if (!conn)
             co_return fail(api_error_status(conn.error().code, IoMeans::network), conn.error());
           auto rtts = co_await node_.ping().ping(*conn, n);
           if (!rtts)
             co_return fail(api_error_status(rtts.error().code, IoMeans::network), rtts.error());
           if (Connectivity* c = node_.connectivity(); c && !rtts->empty())
             c->note_latency((*conn)->info().peer, rtts->back());
           auto ms = nlohmann::json::array();
           for (auto d : *rtts) ms.push_back(std::chrono::duration<double, std::milli>(d).count());
           co_return Reply{200, {{"peer", (*conn)->info().peer.to_string()}, {"rtt_ms", ms}}};
         }));
  });
  s.Post("/api/v0/perf", [this, &io](const httplib::Request& req, httplib::Response& res) {
    auto addr = Multiaddr::parse(req.get_param_value("arg"));
    if (!addr) return send(res, fail(400, addr.error()));
    auto up = parse_u64(req.get_param_value("upload"), "upload");
    auto down = parse_u64(req.get_param_value("download"), "download");
    if (!up) return send(res, fail(400, up.error()));
    if (!down) return send(res, fail(400, down.error()));
    send(res, on_loop(io, [this, a = *addr, u = *up, d = *down]() -> rt::awaitable<Reply> {
           auto conn = co_await node_.connect(a);
           if (!conn)
             co_return fail(api_error_status(conn.error().code, IoMeans::network), conn.error());
           auto r = co_await node_.perf().run(*conn, u, d);
           if (!r) co_return fail(api_error_status(r.error().code, IoMeans::network), r.error());
           co_return Reply{200, perf_json((*conn)->info().peer, *r)};
         }));
  });
  s.Get("/api/v0/events", [this](const httplib::Request& req, httplib::Response& res) {
    auto param = [&req](const char* name) -> std::optional<std::string> {
      if (!req.has_param(name)) return std::nullopt;
      return req.get_param_value(name);
    };
    auto query = parse_events_query(param("since"), param("limit"));
    if (!query) return send(res, fail(400, query.error()));
    int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    send(res, Reply{200, events_answer(node_.events(), *query, now_ns)});
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(node_.metrics().render_prometheus(),
                    std::string(observe::kPrometheusContentType));
  });
  connectivity_routes();
  if (content_) add_content_routes(s, node_, *content_);
  add_dht_routes(s, node_);
  s.Post("/api/v0/shutdown", [this](const httplib::Request&, httplib::Response& res) {
    send(res, Reply{200, {{"shutting_down", true}}});
    if (on_shutdown_) on_shutdown_();
  });
}

namespace {

Error no_connectivity() {
  return make_error(Errc::not_found, "this node runs without discovery and a peer store");
}

nlohmann::json bootstrap_json(Connectivity& c, bool changed) {
  auto list = nlohmann::json::array();
  for (const auto& a : c.bootstrap()) list.push_back(a.to_string());
  return {{"bootstrap", list}, {"changed", changed}};
}

}  // namespace

void ApiServer::connectivity_routes() {
  auto& s = *server_;
  asio::io_context& io = node_.io();
  s.Get("/api/v0/swarm/known", [this, &io](const httplib::Request&, httplib::Response& res) {
    send(res, on_loop(io, [this]() -> rt::awaitable<Reply> {
           if (!node_.connectivity()) co_return fail(404, no_connectivity());
           co_return Reply{200, known_peers_json(node_)};
         }));
  });
  s.Get("/api/v0/bootstrap/list", [this, &io](const httplib::Request&, httplib::Response& res) {
    send(res, on_loop(io, [this]() -> rt::awaitable<Reply> {
           Connectivity* c = node_.connectivity();
           if (!c) co_return fail(404, no_connectivity());
           co_return Reply{200, bootstrap_json(*c, false)};
         }));
  });
  for (bool add : {true, false}) {
    s.Post(add ? "/api/v0/bootstrap/add" : "/api/v0/bootstrap/rm",
           [this, &io, add](const httplib::Request& req, httplib::Response& res) {
             auto addr = Multiaddr::parse(req.get_param_value("arg"));
             if (!addr) return send(res, fail(400, addr.error()));
             send(res, on_loop(io, [this, a = *addr, add]() -> rt::awaitable<Reply> {
                    Connectivity* c = node_.connectivity();
                    if (!c) co_return fail(404, no_connectivity());
                    if (!add) co_return Reply{200, bootstrap_json(*c, c->remove_bootstrap(a))};
                    Status st = c->add_bootstrap(a);
                    if (!st && st.error().code != Errc::exists)
                      co_return fail(api_error_status(st.error().code, IoMeans::network),
                                     st.error());
                    co_return Reply{200, bootstrap_json(*c, st.ok())};
                  }));
           });
  }
  for (bool protect : {true, false}) {
    s.Post(protect ? "/api/v0/swarm/protect" : "/api/v0/swarm/unprotect",
           [this, &io, protect](const httplib::Request& req, httplib::Response& res) {
             auto peer = PeerId::parse(req.get_param_value("arg"));
             if (!peer) return send(res, fail(400, peer.error()));
             std::string tag = req.has_param("tag") ? req.get_param_value("tag") : "user";
             send(res, on_loop(io, [this, p = *peer, tag, protect]() -> rt::awaitable<Reply> {
                    Connectivity* c = node_.connectivity();
                    if (!c) co_return fail(404, no_connectivity());
                    if (protect) {
                      Status st = c->manager().protect(p, tag);
                      if (!st)
                        co_return fail(st.error().code == Errc::limit ? 429 : 400, st.error());
                    } else {
                      c->manager().unprotect(p, tag);
                    }
                    co_return Reply{200,
                                    {{"peer", p.to_string()},
                                     {"tag", tag},
                                     {"protected", c->manager().is_protected(p)}}};
                  }));
           });
  }
}

}  // namespace agora
