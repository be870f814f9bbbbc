// The repo's maintenance: gc, verify (quarantines rotten blocks) and stat.
#include <httplib.h>

#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

void add_repo_routes(httplib::Server& s, Node& node) {
  s.Post("/api/v0/repo/gc", [&node](const httplib::Request&, httplib::Response& res) {
    send_result(res, node.repo_gc());
  });
  s.Post("/api/v0/repo/verify", [&node](const httplib::Request&, httplib::Response& res) {
    send_result(res, node.repo_verify());
  });
  s.Get("/api/v0/repo/stat", [&node](const httplib::Request&, httplib::Response& res) {
    send_result(res, node.repo_stat());
  });
}

}  // namespace agora
