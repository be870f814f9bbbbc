#include "app/api_json.h"

namespace agora {

static nlohmann::json addr_list(const std::vector<Multiaddr>& addrs) {
  auto out = nlohmann::json::array();
  for (auto& a : addrs) out.push_back(a.to_string());
  return out;
}

nlohmann::json id_json(Node& node) {
  auto addrs = nlohmann::json::array();
  for (auto& a : node.swarm().listen_addrs())
    addrs.push_back(a.with_peer_id(node.peer_id()).to_string());
  return {{"peer", node.peer_id().to_string()},
          {"addrs", addrs},
          {"agent", agent_version()},
          {"protocols", node.swarm().protocols()}};
}

nlohmann::json peers_json(Node& node) {
  auto out = nlohmann::json::array();
  for (auto& conn : node.swarm().connections()) {
    const auto& info = conn->info();
    nlohmann::json p = {
        {"peer", info.peer.to_string()},
        {"addr", info.remote_addr.to_string()},
        {"direction", info.inbound ? "inbound" : "outbound"},
        {"muxer", info.muxer},
        {"muxer_inlined", info.muxer_inlined},
        {"streams", conn->stream_count()},
        {"bytes_sent", conn->bytes_sent()},
        {"bytes_received", conn->bytes_received()},
        {"age_seconds", std::chrono::duration<double>(rt::now() - info.opened).count()},
    };
    if (auto rtt = conn->last_rtt())
      p["rtt_ms"] = std::chrono::duration<double, std::milli>(*rtt).count();
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

nlohmann::json error_json(const Error& e) {
  return {{"error", e.message}, {"code", errc_name(e.code)}};
}

}  // namespace agora
