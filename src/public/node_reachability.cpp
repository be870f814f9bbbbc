// agora::Node::reachability(): connected peers asked over AutoNAT to dial this node back
// (node/autonat_service.h), and the last such check as JSON for `agora id`.
#include "public/node_impl.h"
#include "public/views.h"

namespace agora {

namespace {

Json probe_json(const DialBackProbe& p) {
  const std::string peer = p.peer.to_string();
  if (!p.response)
    return {{"peer", peer},
            {"error", p.response.error().message},
            {"code", errc_name(p.response.error().code)}};
  Json j = {{"peer", peer},
            {"status", autonat::status_name(p.response->status)},
            {"text", p.response->status_text}};
  if (p.response->addr) j["addr"] = p.response->addr->to_string();
  return j;
}

}  // namespace

Json reachability_json(const Reachability& r) {
  Json probes = Json::array();
  for (const DialBackProbe& p : r.probes) probes.push_back(probe_json(p));
  Json out = {{"reachable", r.reachable ? Json(*r.reachable) : Json(nullptr)},
              {"status", reachability_name(r.reachable)},
              {"probes", probes}};
  if (r.checked_ns != 0) out["checked_ns"] = r.checked_ns;
  return out;
}

Result<Json> Node::reachability(size_t peers_max) {
  node::Node& n = *impl_->node_;
  return call_on_loop<Result<Json>>(impl_->io_, [&n, peers_max]() -> rt::awaitable<Result<Json>> {
    co_return reachability_json(co_await n.autonat().check(peers_max));
  });
}

}  // namespace agora
