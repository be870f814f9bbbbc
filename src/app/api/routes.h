// The local HTTP API's routes, one file per resource (docs/api.md). Each route parses its
// parameters, calls agora::Node, and writes the answer; the node does the work. Routes run on the
// API's worker threads (gate.h); a call into the node blocks that thread only.
#pragma once

#include "agora/node.h"

namespace httplib {
class Server;
}

namespace agora {

// id, swarm peers|limits|connect|disconnect, ping, perf (routes_swarm.cpp)
void add_swarm_routes(httplib::Server& server, Node& node);
// swarm known|protect|unprotect, bootstrap list|add|rm (routes_peer_store.cpp)
void add_peer_store_routes(httplib::Server& server, Node& node);
// add, add-stream, cat, ls, get (routes_content.cpp)
void add_content_routes(httplib::Server& server, Node& node);
// A get's or pin add's progress line (routes_content.cpp).
nlohmann::json get_progress_json(const GetProgress& p);
// ops ls|cancel (routes_ops.cpp)
void add_ops_routes(httplib::Server& server, Node& node);
// {"operations": [...]}, as `ops` answers: with each get's phase, size and sources per peer.
nlohmann::json operations_json(Node& node);
// pin add|rm|ls (routes_pin.cpp)
void add_pin_routes(httplib::Server& server, Node& node);
// block put|get|stat (routes_block.cpp)
void add_block_routes(httplib::Server& server, Node& node);
// repo gc|verify|stat (routes_repo.cpp)
void add_repo_routes(httplib::Server& server, Node& node);
// dht status|table|findpeer|findprovs|get|put|query (routes_dht.cpp)
void add_dht_routes(httplib::Server& server, Node& node);
// events, metrics, trace, traces (routes_observe.cpp)
void add_observe_routes(httplib::Server& server, Node& node);

}  // namespace agora
