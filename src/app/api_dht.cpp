#include "app/api_dht.h"

#include <httplib.h>

#include <future>
#include <nlohmann/json.hpp>

#include "app/api_http.h"
#include "app/api_json.h"
#include "proto/kad/records.h"

namespace agora {

namespace {

using nlohmann::json;

Error no_dht() { return make_error(Errc::not_found, "this node runs without the DHT"); }

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

json status_json(Node& node, KadService& dht) {
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

json table_json(Node& node, KadService& dht) {
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

// The JSON answers are built in plain functions: GCC 12 miscompiles braced initializer lists
// and lambda temporaries inside coroutines (see runtime/asio/upgrade.cpp), so the coroutines
// below hold nothing but named values.

Result<json> find_peer_json(Node& node, const PeerId& target, const kad::QueryFinished& done) {
  json out = {{"peer", target.to_string()}, {"stats", stats_json(done.stats)}};
  for (const kad::PeerInfo& p : done.closest) {
    if (p.id != target) continue;
    out["addrs"] = addrs_json(p.addrs);
    out["found_by"] = "lookup";  // it answered the lookup at these addresses
    return out;
  }
  // Not reached by the lookup; what we know locally, if anything.
  if (auto e = node.dht()->core().routing_table().find(target)) {
    out["addrs"] = addrs_json(e->addrs);
    out["found_by"] = "routing_table";
    return out;
  }
  if (auto conn = node.swarm().connection_to(target)) {
    out["addrs"] = json::array({conn->info().remote_addr.to_string()});
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

// Runs one query on the loop and turns its result into JSON there (node state is read by some).
using ToJson = std::function<Result<json>(Node&, const kad::QueryFinished&)>;
rt::awaitable<Result<json>> run_query(Node& node, KadService::StartFn start, ToJson to_json) {
  KadService* dht = node.dht();
  if (!dht) co_return no_dht();
  KadService::StepFn no_steps;
  auto done = co_await dht->run(start, no_steps);
  if (!done) co_return done.error();
  co_return to_json(node, *done);
}

Result<json> query_on_loop(Node& node, KadService::StartFn start, ToJson to_json) {
  return run_on_loop<Result<json>>(
      node.io(), [&node, start, to_json] { return run_query(node, start, to_json); });
}

KadService::StartFn closest_peers_of(const Bytes& key) {
  return [key](kad::Kad& k, Instant now) { return k.get_closest_peers(key, now); };
}

// Each step as a {"step": ...} line, with its time since the first step's query began.
KadService::StepFn step_lines(std::shared_ptr<LineQueue> queue) {
  return [queue, started = rt::now()](const kad::QueryStep& s) {
    queue->push(json{{"step", step_json(s, rt::now() - started)}}.dump());
  };
}

// Streams {"step": ...} lines as the lookup for `key` runs, then its result (or an error).
void stream_query(Node& node, Bytes key, httplib::DataSink& sink) {
  auto queue = std::make_shared<LineQueue>();
  auto job = std::async(std::launch::async, [&node, key, queue] {
    auto r = run_on_loop<Result<kad::QueryFinished>>(
        node.io(),
        [&node, start = closest_peers_of(key),
         steps = step_lines(queue)]() -> rt::awaitable<Result<kad::QueryFinished>> {
          KadService* dht = node.dht();
          if (!dht) co_return no_dht();
          co_return co_await dht->run(start, steps);
        });
    queue->close();
    return r;
  });
  queue->write_all(sink);
  auto done = job.get();
  json last;
  if (!done) {
    last = error_json(done.error());
  } else {
    json closest = json::array();
    for (const kad::PeerInfo& p : done->closest) closest.push_back(peer_json(p));
    last = {{"done", true},
            {"key", dht_key_text(key)},
            {"ok", done->ok},
            {"closest", closest},
            {"stats", stats_json(done->stats)}};
    if (!done->ok) last["error"] = done->error;
  }
  write_line(sink, last);
}

}  // namespace

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

void add_dht_routes(httplib::Server& s, Node& node) {
  asio::io_context& io = node.io();
  // Snapshots of the DHT's state, read on the loop.
  using Snapshot = json (*)(Node&, KadService&);
  for (auto [path, snapshot] : {std::pair<const char*, Snapshot>{"/api/v0/dht/status", status_json},
                                {"/api/v0/dht/table", table_json}}) {
    s.Get(path, [&node, &io, snapshot](const httplib::Request&, httplib::Response& res) {
      send_result(res,
                  run_on_loop<Result<json>>(io, [&node, snapshot]() -> rt::awaitable<Result<json>> {
                    if (!node.dht()) co_return no_dht();
                    co_return snapshot(node, *node.dht());
                  }));
    });
  }
  s.Post("/api/v0/dht/findpeer", [&node](const httplib::Request& req, httplib::Response& res) {
    auto peer = PeerId::parse(req.get_param_value("arg"));
    if (!peer) return send_error(res, peer.error());
    PeerId target = *peer;
    send_result(res,
                query_on_loop(
                    node, [target](kad::Kad& k, Instant now) { return k.find_node(target, now); },
                    [target](Node& n, const kad::QueryFinished& done) {
                      return find_peer_json(n, target, done);
                    }),
                IoMeans::network);
  });
  s.Post("/api/v0/dht/findprovs", [&node](const httplib::Request& req, httplib::Response& res) {
    auto cid = Cid::parse(req.get_param_value("arg"));
    if (!cid) return send_error(res, cid.error());
    Bytes mh = encode_multihash(cid->hash());
    send_result(
        res,
        query_on_loop(
            node, [mh](kad::Kad& k, Instant now) { return k.get_providers(mh, now); },
            [c = *cid](Node&, const kad::QueryFinished& done) { return providers_json(c, done); }),
        IoMeans::network);
  });
  s.Post("/api/v0/dht/get", [&node](const httplib::Request& req, httplib::Response& res) {
    auto key = parse_dht_key(req.get_param_value("arg"), true);
    if (!key) return send_error(res, key.error());
    Bytes k = *key;
    send_result(res,
                query_on_loop(
                    node, [k](kad::Kad& kad, Instant now) { return kad.get_value(k, now); },
                    [k](Node&, const kad::QueryFinished& done) { return value_json(k, done); }),
                IoMeans::network);
  });
  // The value is the request body: the PublicKey protobuf for a /pk/ key.
  s.Post("/api/v0/dht/put", [&node](const httplib::Request& req, httplib::Response& res) {
    auto key = parse_dht_key(req.get_param_value("arg"), true);
    if (!key) return send_error(res, key.error());
    const size_t max = kad::MessageLimits{}.record_value_bytes_max;
    if (req.body.size() > max)
      return send_error(res, make_error(Errc::too_large, "a record value is at most " +
                                                             std::to_string(max) + " bytes"));
    kad::Record record{*key, to_bytes(req.body), {}};
    if (Status st = kad::validate_record(record); !st) return send_error(res, st.error());
    send_result(res,
                query_on_loop(
                    node, [record](kad::Kad& k, Instant now) { return k.put_value(record, now); },
                    [k = record.key](Node&, const kad::QueryFinished& done) {
                      return stored_json(k, done);
                    }),
                IoMeans::network);
  });
  s.Post("/api/v0/dht/query", [&node](const httplib::Request& req, httplib::Response& res) {
    auto key = parse_dht_key(req.get_param_value("arg"), false);
    if (!key) return send_error(res, key.error());
    res.set_chunked_content_provider("application/x-ndjson",
                                     [&node, k = *key](size_t, httplib::DataSink& sink) {
                                       stream_query(node, k, sink);
                                       sink.done();
                                       return true;
                                     });
  });
}

}  // namespace agora
