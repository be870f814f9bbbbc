#include "node/autonat_service.h"

#include <set>

namespace agora {

namespace {

constexpr const char* kStatuses[] = {"ok", "dial_error", "dial_refused", "bad_request",
                                     "internal_error"};
constexpr const char* kReachabilities[] = {"reachable", "unreachable", "unknown"};
constexpr Duration kRetryWithoutPeers = std::chrono::seconds(30);

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
observe::Gauge& status_gauge(observe::Registry& m, std::string_view status) {
  return m.gauge("agora_reachability_status",
                 "1 for what the last AutoNAT check found: reachable, unreachable or unknown",
                 {{"status", std::string(status)}});
}

// The asks of one round of a check, in flight at once.
struct Round {
  Round(asio::any_io_executor ex, size_t n) : done(ex), results(n), pending(n) {}
  rt::Waiter done;
  std::vector<DialBackProbe> results;
  size_t pending;
};

std::string summary(const Reachability& r) {
  std::string out;
  for (const DialBackProbe& p : r.probes) {
    out += (out.empty() ? "" : "; ") + p.peer.to_string().substr(0, 16) + "... ";
    if (!p.response) {
      out += "no answer: " + p.response.error().message;
      continue;
    }
    out += std::string(autonat::status_name(p.response->status));
    if (p.response->addr) out += " at " + p.response->addr->to_string();
    if (!p.response->status_text.empty()) out += ": " + p.response->status_text;
  }
  return out.empty() ? "no connected peer to ask" : out;
}

}  // namespace

const char* reachability_name(const std::optional<bool>& reachable) {
  return !reachable ? "unknown" : *reachable ? "reachable" : "unreachable";
}

AutonatService::AutonatService(rt::Swarm& swarm, rt::BehaviourHost& host,
                               AutonatServiceConfig config,
                               std::function<bool(const PeerId&)> speaks_autonat,
                               observe::Registry& metrics, observe::EventRecorder& events)
    : swarm_(swarm),
      host_(host),
      config_(config),
      speaks_autonat_(std::move(speaks_autonat)),
      metrics_(metrics),
      events_(events),
      behaviour_(swarm.local_peer(), config.behaviour),
      waiting_(swarm.executor()),
      check_timer_(swarm.executor()) {
  for (const char* status : kStatuses) {
    served(metrics_, status);
    asked(metrics_, status);
  }
  asked(metrics_, "failed");
  for (const char* r : kReachabilities) status_gauge(metrics_, r).set(0);
  status_gauge(metrics_, "unknown").set(1);
}

AutonatService::~AutonatService() {
  stop();
  host_.remove(behaviour_);
  waiting_.fail_all(make_error(Errc::closed, "the node is stopping"));
}

void AutonatService::start() {
  host_.add(behaviour_, [this] { deliver(); });
  if (config_.check_interval > Duration::zero())
    asio::co_spawn(swarm_.executor(), check_periodically(), asio::detached);
}

void AutonatService::stop() {
  stopped_ = true;
  check_timer_.cancel();
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

// Connected peers, one connection each, those whose identify lists AutoNAT first.
std::vector<std::shared_ptr<rt::Connection>> AutonatService::candidates() const {
  std::vector<std::shared_ptr<rt::Connection>> speaks, others;
  std::set<PeerId> seen;
  for (auto& conn : swarm_.connections()) {
    if (conn->closed() || !seen.insert(conn->info().peer).second) continue;
    bool known = speaks_autonat_ && speaks_autonat_(conn->info().peer);
    (known ? speaks : others).push_back(conn);
  }
  speaks.insert(speaks.end(), others.begin(), others.end());
  if (speaks.size() > kCandidatesMax) speaks.resize(kCandidatesMax);
  return speaks;
}

rt::awaitable<Reachability> AutonatService::check(size_t peers_max) {
  std::weak_ptr<bool> alive = alive_;
  auto conns = candidates();
  Reachability out;
  size_t answered = 0, ok = 0, dial_errors = 0;
  for (size_t next = 0; next < conns.size() && answered < peers_max;) {
    auto round = std::make_shared<Round>(swarm_.executor(),
                                         std::min(peers_max - answered, conns.size() - next));
    for (size_t i = 0; i < round->results.size(); ++i, ++next) {
      asio::co_spawn(
          swarm_.executor(),
          [](AutonatService* self, std::shared_ptr<rt::Connection> conn,
             std::shared_ptr<Round> round, size_t i) -> rt::awaitable<void> {
            round->results[i].peer = conn->info().peer;
            round->results[i].response = co_await self->ask(conn);
            if (--round->pending == 0) round->done.notify();
          }(this, conns[next], round, i),
          asio::detached);
    }
    while (round->pending > 0) co_await round->done.wait();
    if (alive.expired()) co_return out;  // the node is gone: touch nothing of it
    for (DialBackProbe& p : round->results) {
      if (p.response) {
        ++answered;
        ok += p.response->status == autonat::ResponseStatus::ok;
        dial_errors += p.response->status == autonat::ResponseStatus::dial_error;
      }
      out.probes.push_back(std::move(p));
    }
  }
  if (ok > 0) {
    out.reachable = true;
  } else if (dial_errors > 0) {
    out.reachable = false;
  }
  out.checked_ns = observe::wall_clock_ns();
  note(out);
  co_return out;
}

void AutonatService::note(Reachability result) {
  // The first check tells something only when a peer answered; later ones when it differs.
  const bool first = last_.checked_ns == 0;
  const bool changed = first ? result.reachable.has_value() : result.reachable != last_.reachable;
  if (changed) {
    observe::Event e;
    e.type = observe::EventType::reachability_changed;
    e.reason = reachability_name(result.reachable);
    e.detail = "was " + std::string(reachability_name(last_.reachable)) + "; " + summary(result);
    events_.record(std::move(e));
  }
  for (const char* r : kReachabilities) status_gauge(metrics_, r).set(0);
  status_gauge(metrics_, reachability_name(result.reachable)).set(1);
  last_ = std::move(result);
}

rt::awaitable<void> AutonatService::check_periodically() {
  std::weak_ptr<bool> alive = alive_;
  Duration wait = std::min(config_.first_check_after, config_.check_interval);
  for (;;) {
    check_timer_.expires_after(wait);
    co_await check_timer_.async_wait(rt::use_nothrow);
    if (alive.expired() || stopped_) co_return;
    if (swarm_.connections().empty()) {
      wait = kRetryWithoutPeers;
      continue;
    }
    co_await check(config_.peers_per_check);
    if (alive.expired() || stopped_) co_return;
    wait = config_.check_interval;
  }
}

}  // namespace agora
