// agora::Node::reachability(): connected peers asked over AutoNAT to dial this node back
// (node/autonat_service.h), a few at once, and their answers summed up.
#include <future>

#include "public/node_impl.h"

namespace agora {

namespace {

constexpr size_t kCandidatesMax = 8;  // peers tried in all
constexpr size_t kAskedAtOnce = 3;

// Connected peers, one entry each, those whose identify lists AutoNAT first.
std::vector<std::shared_ptr<rt::Connection>> candidates(node::Node& node) {
  std::vector<std::shared_ptr<rt::Connection>> speaks, others;
  std::set<PeerId> seen;
  for (auto& conn : node.swarm().connections()) {
    if (conn->closed() || !seen.insert(conn->info().peer).second) continue;
    bool known = false;
    if (Connectivity* c = node.connectivity())
      if (const store::PeerRecord* r = c->peers().find(conn->info().peer))
        known = std::find(r->protocols.begin(), r->protocols.end(), behaviour::kAutonatProtocol) !=
                r->protocols.end();
    (known ? speaks : others).push_back(conn);
  }
  speaks.insert(speaks.end(), others.begin(), others.end());
  if (speaks.size() > kCandidatesMax) speaks.resize(kCandidatesMax);
  return speaks;
}

Json probe_json(const std::string& peer, const Result<autonat::DialResponse>& r) {
  if (!r)
    return {{"peer", peer}, {"error", r.error().message}, {"code", errc_name(r.error().code)}};
  Json j = {{"peer", peer}, {"status", autonat::status_name(r->status)}, {"text", r->status_text}};
  if (r->addr) j["addr"] = r->addr->to_string();
  return j;
}

}  // namespace

Json Node::reachability(size_t peers_max) {
  auto conns = run_on_loop<std::vector<std::shared_ptr<rt::Connection>>>(
      impl_->io_, [this] { return candidates(*impl_->node_); });
  Json probes = Json::array();
  size_t answered = 0, ok = 0, dial_errors = 0;
  for (size_t next = 0; next < conns.size() && answered < peers_max;) {
    std::vector<std::pair<std::string, std::future<Result<autonat::DialResponse>>>> batch;
    for (; next < conns.size() && batch.size() < std::min(kAskedAtOnce, peers_max - answered);
         ++next) {
      auto conn = conns[next];
      batch.emplace_back(
          conn->info().peer.to_string(), std::async(std::launch::async, [this, conn] {
            return call_on_loop<Result<autonat::DialResponse>>(
                impl_->io_, [this, conn] { return impl_->node_->autonat().ask(conn); });
          }));
    }
    for (auto& [peer, answer] : batch) {
      Result<autonat::DialResponse> r = answer.get();
      if (r) {
        ++answered;
        ok += r->status == autonat::ResponseStatus::ok;
        dial_errors += r->status == autonat::ResponseStatus::dial_error;
      }
      probes.push_back(probe_json(peer, r));
    }
  }
  Json reachable = nullptr;
  if (ok > 0) {
    reachable = true;
  } else if (dial_errors > 0) {
    reachable = false;
  }
  return {{"reachable", reachable}, {"probes", probes}};
}

}  // namespace agora
