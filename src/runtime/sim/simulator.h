// The deterministic network simulator: N real Kademlia cores (kad::Kad) in one process, driven
// by one event queue in virtual time over simulated links, with churn and adversaries.
//
// Messages travel as kad::Message structs (no bytes): a request leaves a core by poll_outbound,
// arrives after the link delay, is answered by the receiver's handle_request (or the adversary),
// and the answer travels back into on_response. Lost messages and messages to offline nodes
// vanish; the sender's core times them out as it would on a real network. A leaving node loses
// all state; when it comes back it starts a fresh core and bootstraps again.
//
// Everything random comes from one seed through separate PRNG streams, and all containers whose
// order matters are ordered, so a run is a function of (scenario, seed). Each event writes one
// canonical line to the trace; the report carries the trace's SHA-256.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proto/kad/kad.h"
#include "runtime/sim/adversary.h"
#include "runtime/sim/churn_model.h"
#include "runtime/sim/event_queue.h"
#include "runtime/sim/link_model.h"
#include "runtime/sim/population.h"
#include "runtime/sim/prng.h"
#include "runtime/sim/report.h"
#include "runtime/sim/scenario.h"
#include "runtime/sim/trace.h"

namespace agora::sim {

// A look at a running simulation, for progress output.
struct SimProgress {
  Instant now;
  uint64_t events = 0;
  size_t online = 0;  // nodes
  size_t queued = 0;  // events waiting
  uint64_t lookups_finished = 0;
};

struct SimOptions {
  std::string trace_path;  // also write the trace lines here (empty: hash only)
  // After `duration`, events keep running (without churn or new lookups) until the lookups still
  // running finish, for at most this long; those still running then count as failures.
  Duration drain_max = std::chrono::minutes(5);
  // Called every progress_interval of virtual time when set.
  std::function<void(const SimProgress&)> on_progress;
  Duration progress_interval = std::chrono::seconds(30);
};

class Simulator {
 public:
  explicit Simulator(Scenario scenario, SimOptions options = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Runs the whole scenario. Errc::io when the trace file cannot be written; Errc::internal when
  // called a second time.
  Result<RunResult> run();

 private:
  enum class EventKind : uint8_t { deliver, timer, join, leave, lookup };
  struct SimEvent {
    EventKind kind;
    NodeIndex node;
    uint64_t arg;  // deliver: envelope slot; timer: incarnation; lookup: lookup index
  };
  enum class Role : uint8_t { honest, bootstrap, adversary };
  struct Connection {
    NodeIndex peer;
    uint32_t peer_incarnation;
  };
  struct Node {
    std::unique_ptr<kad::Kad> kad;        // null while offline
    std::vector<Connection> connections;  // open, least recently used first
    Instant timer_at = Instant::max();
    Instant online_since{};
    uint32_t incarnation = 0;        // bumped on every leave: answers to older sessions are stale
    uint32_t online_slot = kNoSlot;  // position in online_honest_
    Role role = Role::honest;
    bool churns = false;
  };
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  enum class EnvelopeKind : uint8_t { request, response, reset };
  struct Envelope {
    EnvelopeKind kind;
    NodeIndex from;
    NodeIndex to;
    uint32_t requester_incarnation;  // the requester's session, for the answer's way back
    kad::RequestId request_id;
    kad::Message message;
  };

  enum class LookupStatus : uint8_t { scheduled, running, done, aborted };
  struct Lookup {
    LookupStatus status = LookupStatus::scheduled;
    NodeIndex origin = 0;
    Instant started{};
    kad::Key target;
  };

  // simulator.cpp: setup, the event loop, node sessions.
  void setup();
  void dispatch(const SimEvent& event);
  void join(NodeIndex node);
  void leave(NodeIndex node);
  void on_timer_event(NodeIndex node, uint64_t incarnation, Instant at);
  void after_input(NodeIndex node);
  void handle_kad_event(NodeIndex node, kad::KadEvent& event);
  void set_online_honest(NodeIndex node, bool online);
  kad::KadConfig kad_config(NodeIndex node) const;
  RunResult collect();

  // sim_connections.cpp: which nodes hold a connection, as a connection manager would.
  bool connect(NodeIndex dialer, NodeIndex listener);
  void make_room(NodeIndex node);
  void disconnect(NodeIndex a, NodeIndex b);
  void close_all_connections(NodeIndex node);

  // sim_network.cpp: requests, answers, links.
  void send_request(NodeIndex from, kad::OutboundRequest request);
  void send_envelope(Envelope envelope);
  void deliver(uint64_t slot);
  void deliver_request(Envelope& envelope);
  void deliver_answer(Envelope& envelope);
  uint64_t store_envelope(Envelope envelope);

  // sim_lookups.cpp
  void schedule_lookups();
  void start_lookup(uint64_t index);
  void finish_lookup(uint64_t index, const kad::QueryFinished& finished);
  void abort_lookups_of(NodeIndex node);
  bool eligible(NodeIndex node, const Lookup& lookup) const;

  bool online(NodeIndex node) const { return nodes_[node].kad != nullptr; }
  Instant now() const { return queue_.now(); }
  int64_t now_ns() const { return now().time_since_epoch().count(); }

  Scenario scenario_;
  SimOptions options_;
  Prng root_rng_;
  Prng link_rng_;    // jitter and loss
  Prng churn_rng_;   // session and offline lengths
  Prng lookup_rng_;  // origins and targets
  Prng adversary_rng_;
  Prng oracle_rng_;  // JoinMode::oracle tables
  Instant end_;
  std::unique_ptr<Population> population_;
  std::unique_ptr<LinkModel> links_;
  std::unique_ptr<ChurnModel> churn_;
  std::unique_ptr<Adversary> adversary_;
  std::vector<Node> nodes_;
  std::vector<NodeIndex> online_honest_;  // lookup origins
  std::vector<kad::PeerInfo> bootstrap_peers_;
  EventQueue<SimEvent> queue_;
  std::vector<Envelope> envelopes_;  // in flight; free slots listed below
  std::vector<uint64_t> free_envelopes_;
  std::vector<Lookup> lookups_;
  std::map<std::pair<NodeIndex, kad::QueryId>, uint64_t> running_;  // -> lookup index
  bool ran_ = false;
  bool draining_ = false;
  size_t online_ = 0;
  Trace trace_;
  RunResult result_;
  std::vector<double> hops_, messages_, latency_ms_;
};

}  // namespace agora::sim
