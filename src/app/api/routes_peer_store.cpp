// The peer store and what steers it: known peers, the bootstrap list, protected peers.
#include <httplib.h>

#include "agora/names.h"
#include "app/api/http_reply.h"
#include "app/api/routes.h"

namespace agora {

namespace {

using nlohmann::json;

// {"bootstrap": [...], "changed": bool}, the list as it is now.
void send_bootstrap(httplib::Response& res, Node& node, bool changed) {
  auto list = node.bootstrap_list();
  if (!list) return send_error(res, list.error());
  send_json(res, {{"bootstrap", *list}, {"changed", changed}});
}

void bootstrap_routes(httplib::Server& s, Node& node) {
  s.Get("/api/v0/bootstrap/list", [&node](const httplib::Request&, httplib::Response& res) {
    send_bootstrap(res, node, false);
  });
  for (bool add : {true, false}) {
    s.Post(add ? "/api/v0/bootstrap/add" : "/api/v0/bootstrap/rm",
           [&node, add](const httplib::Request& req, httplib::Response& res) {
             std::string addr = req.get_param_value("arg");
             if (Status st = validate_multiaddr(addr); !st)
               return send_bad_request(res, st.error());
             auto changed = add ? node.bootstrap_add(addr) : node.bootstrap_remove(addr);
             if (!changed) return send_error(res, changed.error(), IoMeans::network);
             send_bootstrap(res, node, *changed);
           });
  }
}

void protect_routes(httplib::Server& s, Node& node) {
  for (bool protect : {true, false}) {
    s.Post(protect ? "/api/v0/swarm/protect" : "/api/v0/swarm/unprotect",
           [&node, protect](const httplib::Request& req, httplib::Response& res) {
             std::string peer = req.get_param_value("arg");
             if (Status st = validate_peer_id(peer); !st) return send_bad_request(res, st.error());
             std::string tag = req.has_param("tag") ? req.get_param_value("tag") : "user";
             // Over the protected peers' bound: 429 (limit); a tag it refuses: 400.
             auto r = node.protect(peer, tag, protect);
             if (!r) return send_error(res, r.error());
             send_json(res, {{"peer", r->peer}, {"tag", tag}, {"protected", r->is_protected}});
           });
  }
}

}  // namespace

void add_peer_store_routes(httplib::Server& s, Node& node) {
  s.Get("/api/v0/swarm/known", [&node](const httplib::Request&, httplib::Response& res) {
    send_result(res, node.known_peers());
  });
  bootstrap_routes(s, node);
  protect_routes(s, node);
}

}  // namespace agora
