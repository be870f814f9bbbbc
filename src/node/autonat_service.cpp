#include "node/autonat_service.h"

namespace agora {

namespace {

constexpr const char* kStatuses[] = {"ok", "dial_error", "dial_refused", "bad_request",
                                     "internal_error"};

observe::Counter& served(observe::Registry& m, std::string_view status) {
  return m.counter("agora_autonat_served_total",
                   "AutoNAT dial-back requests this node answered, by the status it sent",
                   {{"status", std::string(status)}});
}
observe::Counter& asked(observe::Registry& m, std::string_view status) {
  return m.counter("agora_autonat_asked_total",
                   "AutoNAT dial-backs this node asked for, by the answer (failed: none)",
                   {{"status", std::string(status)}});
}

}  // namespace

AutonatService::AutonatService(rt::Swarm& swarm, rt::BehaviourHost& host,
                               behaviour::AutonatConfig config, observe::Registry& metrics)
    : swarm_(swarm),
      host_(host),
      metrics_(metrics),
      behaviour_(swarm.local_peer(), config),
      waiting_(swarm.executor()) {
  for (const char* status : kStatuses) {
    served(metrics_, status);
    asked(metrics_, status);
  }
  asked(metrics_, "failed");
}

AutonatService::~AutonatService() {
  host_.remove(behaviour_);
  waiting_.fail_all(make_error(Errc::closed, "the node is stopping"));
}

void AutonatService::start() {
  host_.add(behaviour_, [this] { deliver(); });
}

void AutonatService::deliver() {
  while (auto e = behaviour_.poll_event()) {
    if (auto* answer = std::get_if<behaviour::AutonatAnswer>(&*e)) {
      asked(metrics_, answer->response ? autonat::status_name(answer->response->status) : "failed")
          .inc();
      waiting_.deliver(answer->id, std::move(answer->response));
    } else if (auto* s = std::get_if<behaviour::AutonatServed>(&*e)) {
      served(metrics_, autonat::status_name(s->status)).inc();
    }
  }
}

std::vector<Multiaddr> AutonatService::dial_back_targets(const rt::Connection& conn) const {
  std::vector<Multiaddr> out;
  auto local = conn.info().local_addr.tcp_endpoint();
  for (const Multiaddr& addr : swarm_.listen_addrs()) {
    auto ep = addr.tcp_endpoint();
    if (!ep) continue;
    bool unspecified = ep->host == "0.0.0.0" || ep->host == "::";
    if (unspecified && local && local->ipv6 == ep->ipv6) {
      out.push_back(Multiaddr::from_tcp(local->host, ep->port, ep->ipv6));
    } else if (!unspecified) {
      out.push_back(addr);
    }
  }
  return out;
}

rt::awaitable<Result<autonat::DialResponse>> AutonatService::ask(
    std::shared_ptr<rt::Connection> conn) {
  std::vector<Multiaddr> ours = dial_back_targets(*conn);
  if (ours.empty())
    co_return make_error(Errc::not_found, "no TCP listen address to be dialled back at");
  auto id = behaviour_.ask(conn->info().peer, std::move(ours), {}, rt::now());
  if (!id) co_return id.error();
  co_return co_await waiting_.wait_for(*id, [this] { host_.wake(behaviour_); });
}

}  // namespace agora
