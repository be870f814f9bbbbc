// The web dashboard's side of the daemon: its pages (built from web/ by esbuild and embedded in
// the binary, so the daemon needs no file at run time), the login that turns the token into a
// session cookie (api_auth.h), a live stream of the node's state, and the doctor and crawl runs
// the dashboard shows.
//
//   GET  /  /app.js  /style.css  /login  /login.js      the embedded files
//   POST /api/v0/session   token=<api.token>            {"session"}: the secret for
//                                                       X-Agora-Session; also the page cookie
//                                                       (401, 429; a body over 1 KiB: 413)
//   POST /api/v0/session/end                            ends every session (a new secret)
//   GET  /api/v0/dashboard/stream                       server-sent events, one `snapshot` a second
//   GET  /api/v0/doctor                                 `agora doctor --json`'s report
//   GET  /api/v0/crawl?max_nodes=N                      `agora crawl`'s JSON, N <= kCrawlNodesMax
//
// Bounds: at most DashboardLimits::streams_max streams at once (past that 503), each ends after
// stream_seconds_max (the browser's EventSource reconnects), with at most kStreamEventsMax new
// events a tick; one doctor and one crawl at a time (503 while one runs). Every page answer
// carries a Content-Security-Policy that allows only this origin, and no framing.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>

#include "agora/node.h"
#include "app/api/api_auth.h"

namespace httplib {
class Server;
struct Response;
class DataSink;
}  // namespace httplib

namespace agora {

struct DashboardLimits {
  // Each holds a long-call thread while it lasts: ApiServer gives half of its long_workers.
  size_t streams_max = 4;
  std::chrono::seconds stream_seconds_max{300};
  std::chrono::milliseconds stream_interval{1000};
};

class Dashboard {
 public:
  static constexpr size_t kStreamEventsMax = 200;
  static constexpr size_t kCrawlNodesMax = 1000;

  Dashboard(Node& node, ApiAuth& auth, DashboardLimits limits);
  void add_routes(httplib::Server& server);
  // Streams stop at their next tick.
  void stop() { stopping_ = true; }

 private:
  void add_page_routes(httplib::Server& server);
  void add_session_routes(httplib::Server& server);
  void add_stream_route(httplib::Server& server);
  void add_report_routes(httplib::Server& server);
  // One `snapshot` event; false once the client is gone.
  bool write_snapshot(httplib::DataSink& sink, std::optional<uint64_t>& last_seq);

  Node& node_;
  ApiAuth& auth_;
  DashboardLimits limits_;
  std::atomic<size_t> streams_{0};
  std::atomic<bool> stopping_{false};
  std::mutex doctor_mu_, crawl_mu_;  // one run of each at a time
};

// The headers every dashboard page and file is answered with.
void set_page_headers(httplib::Response& res);

}  // namespace agora
