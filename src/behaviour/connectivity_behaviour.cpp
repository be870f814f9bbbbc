#include "behaviour/connectivity_behaviour.h"

#include <algorithm>

namespace agora::behaviour {

using host::bit;

Result<std::unique_ptr<ConnectivityBehaviour>> ConnectivityBehaviour::create(
    PeerId local, ConnectivityConfig config, WallClock wall_clock, ActivitySampler sampler) {
  AGORA_ASSIGN(host::ConnectionManager manager,
               host::ConnectionManager::create(config.connections));
  for (const Multiaddr& addr : config.bootstrap)
    if (!addr.peer_id())
      return make_error(Errc::invalid_input,
                        "a bootstrap address must end with /p2p/<peer id>: " + addr.to_string());
  return std::unique_ptr<ConnectivityBehaviour>(
      new ConnectivityBehaviour(std::move(local), std::move(config), std::move(manager),
                                std::move(wall_clock), std::move(sampler)));
}

ConnectivityBehaviour::ConnectivityBehaviour(PeerId local, ConnectivityConfig config,
                                             host::ConnectionManager manager, WallClock wall_clock,
                                             ActivitySampler sampler)
    : local_(std::move(local)),
      config_(std::move(config)),
      peers_(config_.peers),
      manager_(std::move(manager)),
      wall_clock_(std::move(wall_clock)),
      sampler_(std::move(sampler)) {}

void ConnectivityBehaviour::load(std::vector<host::PeerRecord> records) {
  peers_.load(std::move(records));
}

void ConnectivityBehaviour::start(Instant now) {
  if (started_) return;
  started_ = true;
  next_tick_ = now + config_.tick;
  manager_.on_timer(now);  // arms the first check
  for (const Multiaddr& addr : config_.bootstrap)
    discovered(*addr.peer_id(), {addr}, host::PeerSource::bootstrap, now);
}

void ConnectivityBehaviour::stop() {
  if (stopped_) return;
  stopped_ = true;
  next_tick_.reset();
  peers_.touch_connected(wall_clock_());
}

bool ConnectivityBehaviour::is_protected(const PeerId& peer) const {
  if (manager_.is_protected(peer)) return true;
  return std::any_of(config_.bootstrap.begin(), config_.bootstrap.end(),
                     [&](const Multiaddr& a) { return a.peer_id() == peer; });
}

void ConnectivityBehaviour::discovered(const PeerId& peer, const std::vector<Multiaddr>& addrs,
                                       host::PeerSource source, Instant now) {
  push_event(PeerFound{peer, addrs, source});
  if (peer == local_) return;
  if (!peers_.add_addrs(peer, addrs, bit(source), wall_clock_())) return;  // no room
  // Bootstrap peers are dialled regardless; a discovered peer only while there is room.
  bool room = manager_.connections() + manager_.pending_dials() < config_.connections.high_water;
  if (source == host::PeerSource::bootstrap || room) start_dial(peer, bit(source), now);
}

void ConnectivityBehaviour::identified(const PeerId& peer,
                                       const std::vector<Multiaddr>& listen_addrs,
                                       const std::vector<std::string>& protocols,
                                       const std::string& agent) {
  const int64_t now_ms = wall_clock_();
  peers_.add_addrs(peer, listen_addrs, 0, now_ms);
  peers_.set_identify(peer, protocols, agent, now_ms);
}

Status ConnectivityBehaviour::add_bootstrap(const Multiaddr& addr, Instant now) {
  auto peer = addr.peer_id();
  if (!peer)
    return make_error(Errc::invalid_input,
                      "a bootstrap address must end with /p2p/<peer id>: " + addr.to_string());
  for (const auto& a : config_.bootstrap)
    if (a == addr) return make_error(Errc::exists, addr.to_string() + " is already listed");
  config_.bootstrap.push_back(addr);
  discovered(*peer, {addr}, host::PeerSource::bootstrap, now);
  return {};
}

bool ConnectivityBehaviour::remove_bootstrap(const Multiaddr& addr) {
  auto it = std::find(config_.bootstrap.begin(), config_.bootstrap.end(), addr);
  if (it == config_.bootstrap.end()) return false;
  PeerId peer = *addr.peer_id();
  config_.bootstrap.erase(it);
  bool still_listed = std::any_of(config_.bootstrap.begin(), config_.bootstrap.end(),
                                  [&](const Multiaddr& a) { return a.peer_id() == peer; });
  if (!still_listed) peers_.remove_sources(peer, bit(host::PeerSource::bootstrap));
  return true;
}

// One dial per peer, its best addresses first (the runtime's swarm backs failed ones off).
void ConnectivityBehaviour::start_dial(const PeerId& peer, uint32_t sources, Instant now) {
  if (stopped_ || dialing_.count(peer) || peers_.connected(peer)) return;
  std::vector<Multiaddr> addrs = peers_.dial_addrs(peer);
  if (addrs.size() > config_.dial_addrs_per_peer_max) addrs.resize(config_.dial_addrs_per_peer_max);
  if (addrs.empty()) {
    peers_.on_dial_failed(peer, now);
    push_event(DialOutcome{peer, false, true});
    return;
  }
  dialing_.insert(peer);
  dial_sources_[peer] = sources;
  manager_.on_dial_started();
  actions_.push_back(host::DialPeer{peer, std::move(addrs)});
}

void ConnectivityBehaviour::on_dial_finished(const host::DialFinished& dial, Instant now) {
  if (!dialing_.erase(dial.peer)) return;
  dial_sources_.erase(dial.peer);
  manager_.on_dial_finished();
  if (!dial.result) peers_.on_dial_failed(dial.peer, now);
  push_event(DialOutcome{dial.peer, dial.result.ok(), false});
}

void ConnectivityBehaviour::on_connection_opened(const host::ConnectionOpened& c, Instant now) {
  const bool inbound = c.direction == host::Direction::inbound;
  manager_.on_opened(c.connection, c.peer, inbound, now);
  uint32_t sources = bit(host::PeerSource::inbound);
  if (!inbound) {
    auto ours = dial_sources_.find(c.peer);
    // A dial we did not start came from the user (swarm connect, ping, perf, get --peer).
    sources = ours != dial_sources_.end() ? ours->second : bit(host::PeerSource::manual);
  }
  peers_.on_connected(c.peer, inbound ? Multiaddr{} : c.remote, sources, wall_clock_());
}

void ConnectivityBehaviour::on_connection_ended(const host::ConnectionEnded& c, Instant now) {
  manager_.on_closed(c.connection);
  // Other connections to the peer keep it connected; PeerStore counts them.
  peers_.on_disconnected(c.peer, wall_clock_(), now);
}

void ConnectivityBehaviour::on_timer(Instant now) {
  if (!next_tick_ || now < std::min(*next_tick_, manager_.next_timer())) return;  // early
  next_tick_ = now + config_.tick;
  if (sampler_) sampler_(manager_, peers_);
  manager_.on_timer(now);
  while (auto trim = manager_.poll_trim()) {
    // An orderly close, recorded as the manager's trim.
    push_event(ConnectionTrimmed{trim->connection, trim->reason});
    actions_.push_back(
        host::CloseConnection{trim->connection, host::CloseReason::manager_trim, trim->reason});
  }
  size_t budget = manager_.take_dial_budget();
  if (budget == 0) return;
  for (const PeerId& peer : peers_.dial_candidates(budget + dialing_.size(), now)) {
    if (budget == 0) break;
    if (dialing_.count(peer)) continue;
    start_dial(peer, 0, now);
    --budget;
  }
}

std::optional<Instant> ConnectivityBehaviour::next_timer() const {
  if (!next_tick_) return std::nullopt;
  return std::min(*next_tick_, manager_.next_timer());
}

void ConnectivityBehaviour::push_event(ConnectivityEvent event) {
  if (events_.size() >= config_.events_max) events_.pop_front();
  events_.push_back(std::move(event));
}

std::optional<ConnectivityEvent> ConnectivityBehaviour::poll_event() {
  return host::take_front(events_);
}
std::optional<host::BehaviourAction> ConnectivityBehaviour::poll_action() {
  return host::take_front(actions_);
}

}  // namespace agora::behaviour
