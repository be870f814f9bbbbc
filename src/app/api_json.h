// JSON shapes of the API's answers, shared by the server and by tests.
#pragma once

#include <nlohmann/json.hpp>

#include "node/node.h"

namespace agora {

nlohmann::json id_json(Node& node);
nlohmann::json peers_json(Node& node);
// The swarm's limits beside what is in use: connections, streams by scope and protocol, dials,
// and the refusals so far by scope and limit (GET /api/v0/swarm/limits).
nlohmann::json swarm_limits_json(Node& node);
// The peer store: every known peer with its addresses, protocols, last seen, latency and sources.
nlohmann::json known_peers_json(Node& node);
nlohmann::json peer_record_json(const store::PeerRecord& r, bool connected);
nlohmann::json perf_json(const PeerId& peer, const PerfResult& r);
nlohmann::json error_json(const Error& e);

}  // namespace agora
