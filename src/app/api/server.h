// The daemon's local HTTP API: on loopback TCP and on a Unix socket (mode 0600), and every
// request needs the repo's API token on both. The token stays on the Unix socket too: the file
// mode keeps other users out, the token keeps out a process that was only handed the path (or a
// copy of the repo on a filesystem that ignores modes), and the CLI reads it anyway.
// Connections go through ApiGate (gate.h), which bounds what a local client can hold: header
// deadline, connections per client, and separate threads for short and long calls. The routes
// (routes.h) call agora::Node, which hops onto its event loop for node state. The same address
// serves the web dashboard (dashboard.h): a browser logs in once with the token and then holds a
// session cookie; cross-origin requests are refused (api_auth.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agora/node.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace agora {

class ApiAuth;
class ApiGate;
class ApiRoutes;
class Dashboard;

class ApiServer {
 public:
  ApiServer(Node& node, std::string token, const ApiLimits& limits);
  ~ApiServer();
  // Binds host:port (port 0 picks one); refuses non-loopback hosts. With a `unix_path`, serves
  // there too (a stale file there is replaced; stop() removes it).
  Status start(const std::string& host_port, const std::string& unix_path = "");
  void stop();
  std::string url() const { return url_; }
  std::string unix_path() const { return unix_path_; }
  // Why the Unix socket could not be opened (empty when it was, or none was asked for).
  const std::string& unix_error() const { return unix_error_; }
  // Set when a client asked the daemon to shut down.
  void on_shutdown_request(std::function<void()> fn) { on_shutdown_ = std::move(fn); }

 private:
  void routes();
  // Whether a request may go on (api_auth.h); if not, `res` holds the refusal.
  bool admit(const httplib::Request& req, httplib::Response& res);
  bool login_body_bounded(const httplib::Request& req, httplib::Response& res);
  // Counts the refusal and records an event (the recorder folds floods into summaries).
  void refused(const char* reason, const std::string& client);
  Node& node_;
  std::string token_;
  ApiLimits limits_;
  std::unique_ptr<ApiRoutes> server_;
  std::unique_ptr<ApiAuth> auth_;
  std::unique_ptr<Dashboard> dashboard_;
  std::unique_ptr<ApiGate> gate_;
  std::string url_;
  std::string unix_path_;
  std::string unix_error_;
  std::function<void()> on_shutdown_;
};

}  // namespace agora
