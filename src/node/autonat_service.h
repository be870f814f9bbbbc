// AutoNAT v1 (`/libp2p/autonat/1.0.0`) on the node: behaviour::AutonatBehaviour driven by the
// node's BehaviourHost. Serving (on unless [autonat] serve = false): a peer may ask this node to
// dial it back, under the behaviour's rules (only at the request's IP, rate-limited); each answer
// is counted in agora_autonat_served_total{status}.
//
// Asking: check() has up to `peers_max` connected peers at once dial this node back at the
// addresses it listens on, as seen over each connection (those whose identify lists AutoNAT
// first, at most kCandidatesMax tried), and sums their answers up: reachable (one dialled back),
// unreachable (every answer a failed dial), or unknown (no answer). Each ask is counted in
// agora_autonat_asked_total{status} ("failed" when the peer gave no answer). The last result is
// kept (last()); agora_reachability_status{status} is 1 for it; a change is recorded as a
// reachability_changed event. With a check interval, the node checks by itself: first
// min(first_check_after, interval) after start (once a peer is connected), then every interval.
#pragma once

#include <functional>
#include <optional>

#include "behaviour/autonat_behaviour.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "runtime/asio/awaited_results.h"
#include "runtime/asio/behaviour_host.h"

namespace agora {

struct AutonatServiceConfig {
  behaviour::AutonatConfig behaviour;
  Duration check_interval = std::chrono::minutes(30);  // zero: only when asked
  // Late enough that a node's first minutes (and short-lived test daemons) ask nobody.
  Duration first_check_after = std::chrono::minutes(2);
  size_t peers_per_check = 3;
};

struct DialBackProbe {
  PeerId peer;
  Result<autonat::DialResponse> response = make_error(Errc::closed, "not asked");
};

struct Reachability {
  std::optional<bool> reachable;  // nullopt: unknown (no peer answered, or never checked)
  std::vector<DialBackProbe> probes;
  int64_t checked_ns = 0;  // wall clock of the check's end; 0: never checked
};
const char* reachability_name(const std::optional<bool>& reachable);  // reachable, ...

class AutonatService {
 public:
  static constexpr size_t kCandidatesMax = 8;
  // `speaks_autonat`: whether identify lists the protocol for a peer (asked first).
  AutonatService(rt::Swarm& swarm, rt::BehaviourHost& host, AutonatServiceConfig config,
                 std::function<bool(const PeerId&)> speaks_autonat, observe::Registry& metrics,
                 observe::EventRecorder& events);
  ~AutonatService();
  void start();
  void stop();  // no more periodic checks
  // Asks the connection's peer to dial this node back. The answer's status says what it found.
  rt::awaitable<Result<autonat::DialResponse>> ask(std::shared_ptr<rt::Connection> conn);
  // Asks up to `peers_max` connected peers at once, then others while answers are missing.
  rt::awaitable<Reachability> check(size_t peers_max);
  const Reachability& last() const { return last_; }

 private:
  void deliver();
  std::vector<Multiaddr> dial_back_targets(const rt::Connection& conn) const;
  std::vector<std::shared_ptr<rt::Connection>> candidates() const;
  void note(Reachability result);
  rt::awaitable<void> check_periodically();

  rt::Swarm& swarm_;
  rt::BehaviourHost& host_;
  AutonatServiceConfig config_;
  std::function<bool(const PeerId&)> speaks_autonat_;
  observe::Registry& metrics_;
  observe::EventRecorder& events_;
  behaviour::AutonatBehaviour behaviour_;
  rt::AwaitedResults<Result<autonat::DialResponse>> waiting_;
  Reachability last_;
  asio::steady_timer check_timer_;
  bool stopped_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // checks in flight test it
};

}  // namespace agora
