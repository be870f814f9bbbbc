// The daemon's local HTTP API: loopback only, every request needs the repo's API token.
// Handlers run on the HTTP server's threads and hop onto the node's event loop for node state.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "node/content.h"
#include "node/node.h"

namespace httplib {
class Server;
}

namespace agora {

class ApiServer {
 public:
  // With `content`, the add/cat/get/ls/pin/block/repo endpoints are served too.
  ApiServer(Node& node, std::string token, Content* content = nullptr);
  ~ApiServer();
  // Binds host:port (port 0 picks one); refuses non-loopback hosts.
  Status start(const std::string& host_port);
  void stop();
  std::string url() const { return url_; }
  // Set when a client asked the daemon to shut down.
  void on_shutdown_request(std::function<void()> fn) { on_shutdown_ = std::move(fn); }

 private:
  void routes();
  void connectivity_routes();  // peer store, bootstrap list, protection
  Node& node_;
  Content* content_;
  std::string token_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string url_;
  std::function<void()> on_shutdown_;
};

}  // namespace agora
