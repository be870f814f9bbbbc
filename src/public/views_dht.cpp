// The views of the DHT: its state, and the answers of its queries; see views.h.
#include <algorithm>

#include "proto/kad/records.h"
#include "public/views.h"

namespace agora {

namespace {

using nlohmann::json;

json addrs_json(const std::vector<Bytes>& addrs) {
  json out = json::array();
  for (const Bytes& b : addrs)
    if (auto a = Multiaddr::from_bytes(b)) out.push_back(a->to_string());
  return out;
}

json peer_json(const kad::PeerInfo& p) {
  return {{"peer", p.id.to_string()}, {"addrs", addrs_json(p.addrs)}};
}

json stats_json(const kad::QueryStats& s) {
  return {{"requests", s.requests},
          {"responses", s.responses},
          {"failures", s.failures},
          {"peers_seen", s.peers_seen},
          {"hops", s.hops},
          {"ms", std::chrono::duration<double, std::milli>(s.elapsed).count()}};
}

json step_json(const kad::QueryStep& s, Duration since_start) {
  json closer = json::array();
  for (const PeerId& p : s.closer_ids) closer.push_back(p.to_string());
  json j = {{"peer", s.peer.to_string()},
            {"ms", std::chrono::duration<double, std::milli>(s.took).count()},
            {"at_ms", std::chrono::duration<double, std::milli>(since_start).count()},
            {"failed", s.failed},
            {"closer", closer},
            {"providers", s.providers},
            {"record", s.record}};
  if (s.failed) j["error"] = s.error;
  return j;
}

}  // namespace

json dht_status_json(node::Node& node, KadService& dht) {
  const kad::Kad& k = dht.core();
  return {
      {"peer", node.peer_id().to_string()},
      {"mode", dht.server_mode() ? "server" : "client"},
      {"bootstrapped", dht.bootstrapped()},
      {"routing_table", k.routing_table().size()},
      {"routing_loaded", dht.routing_loaded()},
      {"provider_records", k.providers().record_count()},
      {"provider_keys", k.providers().key_count()},
      {"provided_keys", k.provided().size()},
      {"value_records", k.records().size()},
      {"queries_running", k.query_count()},
      {"requests_in_flight", k.requests_in_flight()},
      {"bad_input", dht.bad_input_count()},
      {"provide_queue", node.content_routing() ? node.content_routing()->provide_queue_size() : 0}};
}

json dht_table_json(node::Node& node, KadService& dht) {
  const kad::RoutingTable& t = dht.core().routing_table();
  json peers = json::array();
  const Instant now = rt::now();
  for (const kad::RoutingEntry& e : t.entries()) {
    peers.push_back(
        {{"peer", e.id.to_string()},
         {"addrs", addrs_json(e.addrs)},
         {"bucket", kad::common_prefix_length(t.self_key(), e.key)},
         {"last_seen_seconds", std::chrono::duration<double>(now - e.last_seen).count()},
         {"connected", node.swarm().connection_to(e.id) != nullptr}});
  }
  return {{"peers", peers}, {"size", t.size()}};
}

json query_step_json(const kad::QueryStep& s, Duration since_start) {
  return step_json(s, since_start);
}

// The JSON answers are built in plain functions, outside the coroutines that run the queries:
// GCC 12 miscompiles braced initializer lists and lambda temporaries inside coroutines (see
// runtime/asio/upgrade.cpp).

// Addresses the target told us itself (identify's listen addresses, while connected), after
// `addrs` and without repeats: a lookup's answers may hold only an address another peer saw it
// at (an outgoing connection's port), which nobody can dial.
json with_own_listen_addrs(node::Node& node, const PeerId& target, json addrs) {
  if (const auto* info = node.identify().peer_info(target))
    for (const Multiaddr& a : info->listen_addrs) {
      std::string text = a.to_string();
      if (std::find(addrs.begin(), addrs.end(), text) == addrs.end()) addrs.push_back(text);
    }
  return addrs;
}

Result<json> find_peer_json(node::Node& node, const PeerId& target,
                            const kad::QueryFinished& done) {
  json out = {{"peer", target.to_string()}, {"stats", stats_json(done.stats)}};
  for (const kad::PeerInfo& p : done.closest) {
    if (p.id != target) continue;
    out["addrs"] = with_own_listen_addrs(node, target, addrs_json(p.addrs));
    out["found_by"] = "lookup";  // it answered the lookup at these addresses
    return out;
  }
  // Not reached by the lookup; what we know locally, if anything.
  if (auto e = node.dht()->core().routing_table().find(target)) {
    out["addrs"] = with_own_listen_addrs(node, target, addrs_json(e->addrs));
    out["found_by"] = "routing_table";
    return out;
  }
  if (auto conn = node.swarm().connection_to(target)) {
    // An inbound connection's remote address is the peer's outgoing port: its listen addresses
    // are the ones to give when identify has them.
    json addrs = json::array();
    if (!conn->info().inbound) addrs.push_back(conn->info().remote_addr.to_string());
    addrs = with_own_listen_addrs(node, target, std::move(addrs));
    if (addrs.empty()) addrs.push_back(conn->info().remote_addr.to_string());
    out["addrs"] = std::move(addrs);
    out["found_by"] = "connection";
    return out;
  }
  return make_error(Errc::not_found, "peer " + target.to_string() + " not found (asked " +
                                         std::to_string(done.stats.responses) + " peers)");
}

Result<json> providers_json(const Cid& cid, const kad::QueryFinished& done) {
  if (done.providers.empty())
    return make_error(Errc::not_found, "no providers of " + cid.to_string() + " found (asked " +
                                           std::to_string(done.stats.responses) + " peers)");
  json providers = json::array();
  for (const kad::PeerInfo& p : done.providers) providers.push_back(peer_json(p));
  return json{
      {"cid", cid.to_string()}, {"providers", providers}, {"stats", stats_json(done.stats)}};
}

Result<json> value_json(BytesView key, const kad::QueryFinished& done) {
  if (!done.record)
    return make_error(Errc::not_found, "no record for " + dht_key_text(key) + " found (asked " +
                                           std::to_string(done.stats.responses) + " peers)");
  json out = {{"key", dht_key_text(key)},
              {"value_hex", to_hex(done.record->value)},
              {"stats", stats_json(done.stats)}};
  if (auto pub = decode_public_key(done.record->value)) {
    out["public_key"] = {{"type", pub->type == KeyType::ed25519     ? "ed25519"
                                  : pub->type == KeyType::rsa       ? "rsa"
                                  : pub->type == KeyType::secp256k1 ? "secp256k1"
                                                                    : "ecdsa"},
                         {"peer", PeerId::from_public_key(*pub).to_string()}};
  }
  return out;
}

Result<json> stored_json(BytesView key, const kad::QueryFinished& done) {
  if (!done.ok)
    return make_error(Errc::not_found,
                      "stored here, but no peer stored " + dht_key_text(key) + ": " + done.error);
  return json{
      {"key", dht_key_text(key)}, {"stored", done.stored}, {"stats", stats_json(done.stats)}};
}

json query_done_json(std::string_view key_text, const kad::QueryFinished& done) {
  json closest = json::array();
  for (const kad::PeerInfo& p : done.closest) closest.push_back(peer_json(p));
  json last = {{"done", true},  {"key", key_text},    {"kind", kad::query_kind_name(done.kind)},
               {"ok", done.ok}, {"closest", closest}, {"stats", stats_json(done.stats)}};
  if (done.kind == kad::QueryKind::get_providers) {
    json providers = json::array();
    for (const kad::PeerInfo& p : done.providers) providers.push_back(peer_json(p));
    last["providers"] = providers;
  }
  if (done.kind == kad::QueryKind::get_value) last["record"] = done.record.has_value();
  if (!done.ok) last["error"] = done.error;
  return last;
}

Result<Bytes> parse_dht_key(std::string_view text, bool record_key) {
  if (text.starts_with("/pk/")) {
    auto peer = PeerId::parse(text.substr(4));
    if (!peer)
      return make_error(Errc::invalid_input,
                        "/pk/ must be followed by a peer id: " + peer.error().message);
    return kad::pk_record_key(*peer);
  }
  if (record_key)
    return make_error(Errc::unsupported,
                      "only public-key records are supported: the key must be /pk/<peer id>");
  if (auto peer = PeerId::parse(text)) return peer->bytes();
  if (auto cid = Cid::parse(text)) return encode_multihash(cid->hash());
  return make_error(Errc::invalid_input,
                    "'" + std::string(text) + "' is not a peer id, a CID or /pk/<peer id>");
}

std::string dht_key_text(BytesView key) {
  const std::string_view prefix = "/pk/";
  if (key.size() > prefix.size() && as_chars(key.first(prefix.size())) == prefix) {
    if (auto peer = PeerId::from_bytes(key.subspan(prefix.size())))
      return "/pk/" + peer->to_string();
  }
  if (auto peer = PeerId::from_bytes(key)) return peer->to_string();
  return to_hex(key);
}

}  // namespace agora
