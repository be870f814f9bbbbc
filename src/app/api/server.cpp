#include "app/api/server.h"

#include <httplib.h>

#include <set>

#include "app/api/api_auth.h"
#include "app/api/dashboard.h"
#include "app/api/gate.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

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
                                                        "/api/v0/dht/table",
                                                        "/api/v0/ops",
                                                        "/api/v0/traces",
                                                        "/",
                                                        "/app.js",
                                                        "/style.css",
                                                        "/login",
                                                        "/login.js"};
  static const std::set<std::string_view> short_posts = {
      "/api/v0/swarm/disconnect", "/api/v0/bootstrap/add",
      "/api/v0/bootstrap/rm",     "/api/v0/swarm/protect",
      "/api/v0/swarm/unprotect",  "/api/v0/shutdown",
      "/api/v0/ops/cancel",       "/api/v0/session",
      "/api/v0/session/end"};  // so a cancel gets through while the long lane is full
  if (method == "GET" && short_gets.contains(path)) return ApiLane::short_call;
  if (method == "POST" && short_posts.contains(path)) return ApiLane::short_call;
  return ApiLane::long_call;
}

constexpr const char* kRefusalReasons[] = {"connections_max",  "connections_per_client_max",
                                           "cross_origin",     "header_timeout",
                                           "header_too_large", "queue_max"};
constexpr const char* kRefusedMetric = "agora_api_refused_total";
constexpr const char* kRefusedHelp = "Local API connections refused or cut off, by limit";

}  // namespace

ApiServer::ApiServer(Node& node, std::string token, const ApiLimits& limits)
    : node_(node),
      token_(std::move(token)),
      limits_(limits),
      server_(std::make_unique<ApiRoutes>()) {
  // Every reason shows in the metrics from the start, at 0.
  for (const char* reason : kRefusalReasons)
    node_.count(kRefusedMetric, kRefusedHelp, {{"reason", reason}}, 0);
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
  gate_ = std::make_unique<ApiGate>(
      limits_, [this](ApiConnection& c) { server_->serve(c); }, lane_of,
      [this](const char* reason, const std::string& client) { refused(reason, client); });
  AGORA_ASSIGN(int bound, gate_->listen_tcp(host, int(*port)));
  // The session cookie's name carries the port, so routes are made once it is known.
  auth_ = std::make_unique<ApiAuth>(token_, random_session_secret(), bound);
  DashboardLimits dashboard_limits;
  dashboard_limits.streams_max = std::max<size_t>(1, limits_.long_workers / 2);
  dashboard_ = std::make_unique<Dashboard>(node_, *auth_, dashboard_limits);
  routes();
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
  if (dashboard_) dashboard_->stop();
  if (gate_) gate_->stop();
}

void ApiServer::refused(const char* reason, const std::string& client) {
  node_.count(kRefusedMetric, kRefusedHelp, {{"reason", reason}});
  node_.record_limit_hit("http-api", reason,
                         "local API client " + client + " refused or cut off (" + reason + ")");
}

// The login post is the one body read without a token: at most kLoginBodyBytesMax, with its
// length declared (httplib has not read it yet when this runs).
bool ApiServer::login_body_bounded(const httplib::Request& req, httplib::Response& res) {
  constexpr uint64_t kLoginBodyBytesMax = 1024;
  if (req.method != "POST" || req.path != ApiAuth::kSessionPath) return true;
  auto length = parse_u64(req.get_header_value("Content-Length"), "Content-Length");
  if (length && *length <= kLoginBodyBytesMax && !req.has_header("Transfer-Encoding")) return true;
  res.status = 413;
  res.set_content(json_text(error_json(make_error(
                      Errc::too_large, "a login is a token of at most 1 KiB, with its length"))),
                  "application/json");
  return false;
}

bool ApiServer::admit(const httplib::Request& req, httplib::Response& res) {
  auto header = [&req](const char* name) { return req.get_header_value(name); };
  std::string authorization = header("Authorization"), cookie = header("Cookie"),
              session = header("X-Agora-Session"), origin = header("Origin"), host = header("Host"),
              site = header("Sec-Fetch-Site");
  ApiAccess access =
      auth_->check({req.method, req.path, authorization, cookie, session, origin, host, site});
  const char* why = nullptr;
  switch (access) {
    case ApiAccess::allow:
      return login_body_bounded(req, res);
    case ApiAccess::redirect_to_login:
      set_page_headers(res);
      res.set_redirect(std::string(ApiAuth::kLoginPath));
      return false;
    case ApiAccess::unauthorized:
      res.status = 401;
      why = "missing or wrong API token (see api.token in the repo)";
      break;
    case ApiAccess::cross_origin:
      res.status = 403;
      why = "cross-origin requests are refused (open the dashboard at the daemon's own address)";
      refused("cross_origin", origin.empty() ? host : origin);
      break;
  }
  res.set_content(json_text(error_json(make_error(Errc::invalid_input, why))), "application/json");
  return false;
}

void ApiServer::routes() {
  auto& s = *server_;
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    return admit(req, res) ? httplib::Server::HandlerResponse::Unhandled
                           : httplib::Server::HandlerResponse::Handled;
  });
  dashboard_->add_routes(s);
  add_swarm_routes(s, node_);
  add_peer_store_routes(s, node_);
  add_observe_routes(s, node_);
  add_content_routes(s, node_);
  add_pin_routes(s, node_);
  add_ops_routes(s, node_);
  add_block_routes(s, node_);
  add_repo_routes(s, node_);
  add_dht_routes(s, node_);
  s.Post("/api/v0/shutdown", [this](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"shutting_down", true}});
    if (on_shutdown_) on_shutdown_();
  });
}

}  // namespace agora
