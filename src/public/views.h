// The JSON documents agora::Node's views answer with (the shapes docs/api.md gives), built from
// node state. Every function here runs on the node's loop: it reads the swarm, the peer store and
// the DHT, which belong to the loop.
#pragma once

#include <nlohmann/json.hpp>

#include "agora/node.h"
#include "node/node.h"

namespace agora {

// --- Peers and connections (views_swarm.cpp)
nlohmann::json id_json(node::Node& node);
// {"reachable": true|false|null, "status", "probes": [...], "checked_ns" (absent: never)}.
nlohmann::json reachability_json(const Reachability& r);
nlohmann::json peers_json(node::Node& node);
// The swarm's limits beside what is in use: connections, streams by scope and protocol, dials,
// and the refusals so far by scope and limit.
nlohmann::json swarm_limits_json(node::Node& node);
// The peer store: every known peer with its addresses, protocols, last seen, latency and sources.
nlohmann::json known_peers_json(node::Node& node);
nlohmann::json peer_record_json(const store::PeerRecord& r, bool connected);
nlohmann::json connected_json(rt::Connection& conn);
nlohmann::json perf_json(const PeerId& peer, const PerfResult& r);
PingReport ping_report(const PeerId& peer, const std::vector<Duration>& rtts);

// --- The DHT (views_dht.cpp)
nlohmann::json dht_status_json(node::Node& node, KadService& dht);
nlohmann::json dht_table_json(node::Node& node, KadService& dht);
Result<nlohmann::json> find_peer_json(node::Node& node, const PeerId& target,
                                      const kad::QueryFinished& done);
Result<nlohmann::json> providers_json(const Cid& cid, const kad::QueryFinished& done);
Result<nlohmann::json> value_json(BytesView key, const kad::QueryFinished& done);
Result<nlohmann::json> stored_json(BytesView key, const kad::QueryFinished& done);
nlohmann::json query_step_json(const kad::QueryStep& s, Duration since_start);
nlohmann::json query_done_json(std::string_view key_text, const kad::QueryFinished& done);

// A DHT key from the command line: `/pk/<peer id>` (a public-key record), a peer id or a CID
// (their multihash: the keys of FIND_NODE and GET_PROVIDERS). Records accept only /pk/ keys.
Result<Bytes> parse_dht_key(std::string_view text, bool record_key);
// The readable form of a key: `/pk/<peer id>` when it is one, else hex.
std::string dht_key_text(BytesView key);

}  // namespace agora
