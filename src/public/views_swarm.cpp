// The views of peers and connections: see views.h.
#include "public/views.h"

namespace agora {

static nlohmann::json addr_list(const std::vector<Multiaddr>& addrs) {
  auto out = nlohmann::json::array();
  for (auto& a : addrs) out.push_back(a.to_string());
  return out;
}

// Which network the node is in and how it finds peers: what a user on a shared machine needs to
// see to know who it may meet.
static nlohmann::json network_json(node::Node& node) {
  const std::string& fp = node.private_network();
  return {{"private", !fp.empty()},
          {"fingerprint", fp.empty() ? nlohmann::json(nullptr) : nlohmann::json(fp)}};
}

static nlohmann::json discovery_json(node::Node& node) {
  nlohmann::json mdns = {{"running", false}, {"interface", nullptr}, {"service", nullptr}};
  auto bootstrap = nlohmann::json::array();
  if (Connectivity* c = node.connectivity()) {
    mdns["running"] = c->mdns_running();
    if (c->mdns_running()) {
      mdns["interface"] = c->mdns_interface();
      mdns["service"] = c->mdns_service_name();
    }
    if (!c->mdns_error().empty()) mdns["error"] = c->mdns_error();
    for (const auto& a : c->bootstrap()) bootstrap.push_back(a.to_string());
  }
  nlohmann::json dht = node.dht() ? nlohmann::json(node.dht()->server_mode() ? "server" : "client")
                                  : nlohmann::json(nullptr);
  return {{"mdns", mdns}, {"bootstrap", bootstrap}, {"dht", dht}};
}

nlohmann::json id_json(node::Node& node) {
  auto addrs = nlohmann::json::array();
  for (auto& a : node.swarm().listen_addrs())
    addrs.push_back(a.with_peer_id(node.peer_id()).to_string());
  return {{"peer", node.peer_id().to_string()},
          {"addrs", addrs},
          {"agent", agent_version()},
          {"protocols", node.swarm().protocols()},
          {"network", network_json(node)},
          {"discovery", discovery_json(node)},
          {"reachability", reachability_json(node.autonat().last())}};
}

nlohmann::json peers_json(node::Node& node) {
  auto out = nlohmann::json::array();
  for (auto& conn : node.swarm().connections()) {
    const auto& info = conn->info();
    nlohmann::json p = {
        {"peer", info.peer.to_string()},
        {"addr", info.remote_addr.to_string()},
        {"direction", info.inbound ? "inbound" : "outbound"},
        {"muxer", info.muxer},
        {"muxer_inlined", info.muxer_inlined},
        {"private_network", info.private_network},
        {"streams", conn->stream_count()},
        {"bytes_sent", conn->bytes_sent()},
        {"bytes_received", conn->bytes_received()},
        {"age_seconds", std::chrono::duration<double>(rt::now() - info.opened).count()},
    };
    auto streams = nlohmann::json::array();
    for (const auto& stream : conn->open_streams())
      streams.push_back({{"protocol", stream->protocol()},
                         {"direction", stream->inbound() ? "inbound" : "outbound"}});
    p["streams_open"] = std::move(streams);
    if (auto rtt = conn->last_rtt())
      p["rtt_ms"] = std::chrono::duration<double, std::milli>(*rtt).count();
    if (auto tcp = conn->tcp_stats())
      p["tcp"] = {{"rtt_ms", tcp->rtt_us / 1000.0},
                  {"rtt_var_ms", tcp->rtt_var_us / 1000.0},
                  {"segments_out", tcp->segments_out},
                  {"data_segments_out", tcp->data_segments_out},
                  {"retransmitted_segments", tcp->retransmitted_segments},
                  {"bytes_retransmitted", tcp->bytes_retransmitted},
                  {"congestion_window", tcp->congestion_window}};
    // The live round trip (yamux ping) when there is one, else the last one the peer store has.
    if (p.contains("rtt_ms")) {
      p["latency_ms"] = p["rtt_ms"];
    }
    if (Connectivity* c = node.connectivity()) {
      if (const store::PeerRecord* r = c->peers().find(info.peer)) {
        p["sources"] = store::peer_source_names(r->sources);
        if (!p.contains("latency_ms") && r->latency_us)
          p["latency_ms"] = double(*r->latency_us) / 1000.0;
      }
      p["protected"] = c->manager().is_protected(info.peer);
    }
    if (const IdentifyInfo* id = node.identify().peer_info(info.peer)) {
      p["agent"] = id->agent_version;
      p["protocol_version"] = id->protocol_version;
      p["protocols"] = id->protocols;
      p["listen_addrs"] = addr_list(id->listen_addrs);
      if (id->observed_addr) p["observed_addr"] = id->observed_addr->to_string();
    }
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::json peer_record_json(const store::PeerRecord& r, bool connected) {
  auto addrs = nlohmann::json::array();
  for (const auto& a : r.addrs)
    addrs.push_back({{"addr", a.addr.to_string()}, {"last_seen_ms", a.last_seen_ms}});
  nlohmann::json out = {{"peer", r.peer.to_string()},
                        {"connected", connected},
                        {"addrs", addrs},
                        {"protocols", r.protocols},
                        {"agent", r.agent},
                        {"first_seen_ms", r.first_seen_ms},
                        {"last_seen_ms", r.last_seen_ms},
                        {"sources", store::peer_source_names(r.sources)}};
  if (r.latency_us) out["latency_ms"] = double(*r.latency_us) / 1000.0;
  return out;
}

nlohmann::json known_peers_json(node::Node& node) {
  auto list = nlohmann::json::array();
  if (Connectivity* c = node.connectivity())
    for (const auto& r : c->peers().list())
      list.push_back(peer_record_json(r, c->peers().connected(r.peer)));
  return {{"peers", list}};
}

nlohmann::json perf_json(const PeerId& peer, const PerfResult& r) {
  auto secs = [](Duration d) { return std::chrono::duration<double>(d).count(); };
  double total = secs(r.total_time);
  return {{"peer", peer.to_string()},
          {"upload_bytes", r.upload_bytes},
          {"download_bytes", r.download_bytes},
          {"upload_seconds", secs(r.upload_time)},
          {"download_seconds", secs(r.download_time)},
          {"total_seconds", total},
          {"throughput_bytes_per_second",
           total > 0 ? double(r.upload_bytes + r.download_bytes) / total : 0.0}};
}

nlohmann::json connected_json(rt::Connection& conn) {
  return {{"peer", conn.info().peer.to_string()}, {"addr", conn.info().remote_addr.to_string()}};
}

PingReport ping_report(const PeerId& peer, const std::vector<Duration>& rtts) {
  PingReport out{peer.to_string(), {}};
  for (auto d : rtts) out.rtt_ms.push_back(std::chrono::duration<double, std::milli>(d).count());
  return out;
}

static nlohmann::json usage_json(size_t in, size_t in_max, size_t out, size_t out_max) {
  return {{"inbound", in}, {"inbound_max", in_max}, {"outbound", out}, {"outbound_max", out_max}};
}

nlohmann::json swarm_limits_json(node::Node& node) {
  const host::Swarm& policy = node.swarm().policy();
  const host::ConnectionLimits& conns = policy.limits();
  const host::ConnectionLimitsConfig& cc = conns.config();
  const host::ResourceManager& rm = policy.resources();
  const host::ResourceManagerConfig& rc = rm.config();
  nlohmann::json connections = {
      {"open", conns.connections()},
      {"max", cc.connections_max},
      {"inbound", conns.inbound_connections()},
      {"inbound_max", conns.inbound_limit()},
      {"leaving", conns.leaving()},
      {"pending_dials", conns.pending_dials()},
      {"pending_dials_max", cc.pending_dials_max},
      {"pending_inbound_handshakes", conns.pending_inbound_handshakes()},
      {"pending_inbound_handshakes_max", cc.pending_inbound_handshakes_max}};
  host::ScopeUsage sys = rm.system();
  nlohmann::json streams = {
      {"system", usage_json(sys.streams_inbound, rc.system.streams_inbound_max,
                            sys.streams_outbound, rc.system.streams_outbound_max)},
      {"per_peer_max",
       {{"inbound_max", rc.peer.streams_inbound_max},
        {"outbound_max", rc.peer.streams_outbound_max}}},
      {"peers_holding_streams", rm.peers_tracked()}};
  nlohmann::json buffered = {{"system", sys.memory_bytes},
                             {"system_max", rc.system.memory_bytes_max},
                             {"per_peer_max", rc.peer.memory_bytes_max}};
  auto protocols = nlohmann::json::array();
  for (const std::string& name : policy.protocols()) {
    host::ScopeUsage u = rm.protocol(name);
    host::ProtocolLimits l = rm.limits_of(name).value_or(host::ProtocolLimits{});
    nlohmann::json p = usage_json(u.streams_inbound, l.all_peers.streams_inbound_max,
                                  u.streams_outbound, l.all_peers.streams_outbound_max);
    p["protocol"] = name;
    p["per_peer_inbound_max"] = l.per_peer.streams_inbound_max;
    p["per_peer_outbound_max"] = l.per_peer.streams_outbound_max;
    p["buffered_bytes"] = u.memory_bytes;
    p["buffered_bytes_per_peer_max"] = l.per_peer.memory_bytes_max;
    protocols.push_back(std::move(p));
  }
  auto refusals = nlohmann::json::array();
  for (const auto& [key, count] : policy.stats().refusals)
    refusals.push_back(
        {{"scope", host::label(key.first)}, {"limit", key.second}, {"count", count}});
  return {{"connections", connections},
          {"streams", streams},
          {"buffered_bytes", buffered},
          {"protocols", protocols},
          {"dials",
           {{"in_flight", policy.dials_in_flight()},
            {"joins_max", policy.config().dial_joins_max},
            {"addresses_backing_off", policy.backoff_entries()}}},
          {"refusals", refusals}};
}

}  // namespace agora
