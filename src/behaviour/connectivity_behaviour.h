// How a node finds peers and keeps a healthy number of connections, as a host::Behaviour: the
// peer store (host/peer_store.h) and the connection manager (host/connection_manager.h) hear
// every connection open and close; it speaks no protocol.
//
//   - A peer found by discovery (mDNS, the bootstrap list; the owner calls discovered()) is
//     remembered and dialled unless connected or over the high watermark; bootstrap peers are
//     dialled regardless, and protected from admission's trims (is_protected()).
//   - Every connection and identify answer (identified()) updates the peer store.
//   - A tick samples each connection's activity through the runtime's sampler, runs the
//     connection manager, closes the connections it trims and dials known peers, best first,
//     while under the low watermark. A failed dial backs the peer off in the peer store.
//
// Sans-I/O: time comes in as `now`, the wall time the peer store persists from an injected clock.
// Persisting is the owner's: it loads records with load() and takes changes from peers(). Bounds:
// the peer store's (peers_max and per peer), at most one dial per peer, at most
// dial_addrs_per_peer_max addresses a dial, and events_max events not yet taken (the oldest go).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "host/behaviour.h"
#include "host/connection_manager.h"
#include "host/peer_store.h"

namespace agora::behaviour {

struct ConnectivityConfig {
  std::vector<Multiaddr> bootstrap;  // each with /p2p/<peer>
  host::PeerStoreConfig peers;
  host::ConnectionManagerConfig connections;
  Duration tick = std::chrono::seconds(1);
  size_t dial_addrs_per_peer_max = 4;  // addresses tried, best first, per dial of a known peer
  size_t events_max = 1024;
};

// A peer learned by discovery (before it is stored: a peer over the store's bound is still told).
struct PeerFound {
  PeerId peer;
  std::vector<Multiaddr> addrs;
  host::PeerSource source;
};
// One of our dials ended. no_address: the peer has no address this node can dial.
struct DialOutcome {
  PeerId peer;
  bool connected = false;
  bool no_address = false;
};
struct ConnectionTrimmed {
  host::ConnectionId connection = 0;
  std::string reason;
};
using ConnectivityEvent = std::variant<PeerFound, DialOutcome, ConnectionTrimmed>;

using WallClock = std::function<int64_t()>;  // Unix ms: what the peer store persists
// Before each tick: the runtime's figures per connection (streams, bytes moved, round trips).
using ActivitySampler = std::function<void(host::ConnectionManager&, host::PeerStore&)>;

class ConnectivityBehaviour final : public host::Behaviour {
 public:
  // Errc::invalid_input for bad watermarks, or a bootstrap address without /p2p/.
  static Result<std::unique_ptr<ConnectivityBehaviour>> create(PeerId local,
                                                               ConnectivityConfig config,
                                                               WallClock wall_clock,
                                                               ActivitySampler sampler = {});

  // Before start(): the persisted peers.
  void load(std::vector<host::PeerRecord> records);
  // Dials the bootstrap peers and starts the tick.
  void start(Instant now);
  // Nothing more is dialled; connected peers are marked seen now (for the last flush).
  void stop();

  void discovered(const PeerId& peer, const std::vector<Multiaddr>& addrs, host::PeerSource source,
                  Instant now);
  void identified(const PeerId& peer, const std::vector<Multiaddr>& listen_addrs,
                  const std::vector<std::string>& protocols, const std::string& agent);
  void note_latency(const PeerId& peer, Duration rtt) { peers_.set_latency(peer, rtt); }
  // Errc::invalid_input without /p2p/; Errc::exists when already listed.
  Status add_bootstrap(const Multiaddr& addr, Instant now);
  bool remove_bootstrap(const Multiaddr& addr);  // false when it was not listed
  const std::vector<Multiaddr>& bootstrap() const { return config_.bootstrap; }
  // Admission may not trim this peer to make room for a newcomer.
  bool is_protected(const PeerId& peer) const;

  host::PeerStore& peers() { return peers_; }
  host::ConnectionManager& manager() { return manager_; }
  size_t dials_in_flight() const { return dialing_.size(); }
  std::optional<ConnectivityEvent> poll_event();

  std::vector<host::ProtocolSpec> protocols() const override { return {}; }
  void on_connection_opened(const host::ConnectionOpened& c, Instant now) override;
  void on_connection_ended(const host::ConnectionEnded& c, Instant now) override;
  void on_stream_opened(const host::StreamOpened&, Instant) override {}
  void on_message(host::StreamRef, Bytes, Instant) override {}
  void on_dial_finished(const host::DialFinished& dial, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  ConnectivityBehaviour(PeerId local, ConnectivityConfig config, host::ConnectionManager manager,
                        WallClock wall_clock, ActivitySampler sampler);
  void start_dial(const PeerId& peer, uint32_t sources, Instant now);
  void push_event(ConnectivityEvent event);

  PeerId local_;
  ConnectivityConfig config_;
  host::PeerStore peers_;
  host::ConnectionManager manager_;
  WallClock wall_clock_;
  ActivitySampler sampler_;
  bool started_ = false;
  bool stopped_ = false;
  std::optional<Instant> next_tick_;
  std::set<PeerId> dialing_;
  std::map<PeerId, uint32_t> dial_sources_;  // source bits of our dials in flight
  std::deque<host::BehaviourAction> actions_;
  std::deque<ConnectivityEvent> events_;
};

}  // namespace agora::behaviour
