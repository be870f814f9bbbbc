#include "runtime/sim/memory_network.h"

#include "runtime/sim/memory_network_internal.h"

namespace agora::sim {

using host::StreamRef;

MemoryNetwork::MemoryNetwork(MemoryNetworkConfig config) : config_(std::move(config)) {}
MemoryNetwork::~MemoryNetwork() = default;

MemoryNetwork::NodeId MemoryNetwork::add_node(PeerId peer) {
  nodes_.push_back(std::make_unique<Node>(std::move(peer), config_.swarm));
  return nodes_.size() - 1;
}

const PeerId& MemoryNetwork::peer(NodeId node) const { return nodes_.at(node)->peer; }
host::Swarm& MemoryNetwork::swarm(NodeId node) { return nodes_.at(node)->swarm; }

void MemoryNetwork::add_behaviour(NodeId node, host::Behaviour& behaviour) {
  Node& n = *nodes_.at(node);
  auto slot = std::make_unique<BehaviourSlot>();
  slot->behaviour = &behaviour;
  for (auto& spec : behaviour.protocols()) {
    (void)n.swarm.add_protocol(spec.name, spec.config);  // past protocols_max: streams refused
    if (spec.inbound) n.served[spec.name] = slot.get();
    slot->specs[spec.name] = spec;
  }
  n.slots.push_back(std::move(slot));
}

MemoryNetwork::BehaviourSlot* MemoryNetwork::slot_for(NodeId node, host::Behaviour& b) {
  for (auto& s : nodes_.at(node)->slots)
    if (s->behaviour == &b) return s.get();
  return nullptr;
}

void MemoryNetwork::wake(NodeId node, host::Behaviour& behaviour) {
  if (BehaviourSlot* s = slot_for(node, behaviour)) pump(node, *s);
}

void MemoryNetwork::schedule(Duration after, std::function<void()> run) {
  if (events_.size() >= config_.events_max) {
    overflowed_ = true;
    return;
  }
  events_.push(Event{now_ + after, seq_++, std::move(run)});
}

Status MemoryNetwork::run_until(Instant until) {
  while (!events_.empty() && events_.top().at <= until) {
    Event e = events_.top();
    events_.pop();
    now_ = e.at;
    e.run();
  }
  if (until > now_) now_ = until;
  if (overflowed_) return make_error(Errc::limit, "memory network: event queue overflowed");
  return {};
}

static bool nobody_protected(const PeerId&) { return false; }

Result<host::ConnectionId> MemoryNetwork::connect(NodeId from, NodeId to) {
  if (from == to) return make_error(Errc::invalid_input, "a node cannot connect to itself");
  Node& a = *nodes_.at(from);
  Node& b = *nodes_.at(to);
  host::ConnectionId id = next_connection_++;
  auto admitted_a = a.swarm.on_secured(id, b.peer, host::Direction::outbound, sim_address(to), now_,
                                       nobody_protected);
  if (auto* r = std::get_if<host::Refusal>(&admitted_a)) return r->to_error();
  auto admitted_b = b.swarm.on_secured(id, a.peer, host::Direction::inbound, sim_address(from),
                                       now_, nobody_protected);
  if (auto* r = std::get_if<host::Refusal>(&admitted_b)) {
    a.swarm.on_connection_closed(id, host::CloseReason::limit, r->detail, now_);
    apply_policy(from);
    return r->to_error();
  }
  connections_[id] = {from, to};
  apply_policy(from);
  apply_policy(to);
  if (!connections_.count(id)) return make_error(Errc::closed, "closed at once by admission");
  for (auto [self, other, dir] : {std::tuple{from, to, host::Direction::outbound},
                                  std::tuple{to, from, host::Direction::inbound}}) {
    host::ConnectionOpened opened{id, nodes_[other]->peer, dir, sim_address(other)};
    for (auto& slot : nodes_[self]->slots) {
      if (!connections_.count(id)) break;  // a behaviour ended it: its end was heard instead
      slot->behaviour->on_connection_opened(opened, now_);
      pump(self, *slot);
    }
  }
  return id;
}

void MemoryNetwork::disconnect(host::ConnectionId id, const std::string& why) {
  close_connection(id, host::CloseReason::requested, why);
}

void MemoryNetwork::close_connection(host::ConnectionId id, host::CloseReason reason,
                                     const std::string& why) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection c = it->second;
  connections_.erase(it);
  Error error = make_error(Errc::closed, "connection closed: " + why);
  std::vector<StreamRef> refs;
  for (auto& [ref, s] : streams_)
    if (ref.connection == id) refs.push_back(ref);
  for (const StreamRef& ref : refs)
    for (int side : {0, 1})
      if (auto s = streams_.find(ref); s != streams_.end() && !s->second->ended[side])
        end_side(ref, side, error);
  for (auto [self, other] : {std::pair{c.a, c.b}, std::pair{c.b, c.a}}) {
    Node& n = *nodes_[self];
    n.swarm.on_connection_closed(id, reason, why, now_);
    bool last = !n.swarm.connection_to(nodes_[other]->peer).has_value();
    host::ConnectionEnded ended{id, nodes_[other]->peer, error, last};
    for (auto& slot : n.slots) {
      slot->behaviour->on_connection_ended(ended, now_);
      pump(self, *slot);
    }
  }
}

void MemoryNetwork::apply_policy(NodeId node) {
  host::Swarm& swarm = nodes_[node]->swarm;
  while (auto action = swarm.poll_action()) {
    if (auto* close = std::get_if<host::CloseConnection>(&*action)) {
      close_connection(close->connection, close->reason, close->detail);
    } else if (auto* reset = std::get_if<host::ResetStream>(&*action)) {
      StreamRef ref{reset->connection, reset->stream};
      if (streams_.count(ref)) reset_stream(ref, node, make_error(Errc::closed, reset->detail));
    }
  }
  while (swarm.poll_event()) {
  }
}

void MemoryNetwork::pump(NodeId node, BehaviourSlot& slot) {
  if (slot.pumping) {
    slot.again = true;
    return;
  }
  slot.pumping = true;
  do {
    slot.again = false;
    while (auto action = slot.behaviour->poll_action()) execute(node, slot, std::move(*action));
  } while (slot.again);
  slot.pumping = false;
  std::optional<Instant> next = slot.behaviour->next_timer();
  if (next == slot.armed) return;
  slot.armed = next;
  uint64_t generation = ++slot.timer_generation;
  if (!next) return;
  schedule(std::max(*next, now_) - now_, [this, node, &slot, generation] {
    if (slot.timer_generation != generation) return;
    slot.armed.reset();
    slot.behaviour->on_timer(now_);
    pump(node, slot);
  });
}

void MemoryNetwork::execute(NodeId node, BehaviourSlot& slot, host::BehaviourAction action) {
  if (auto* open = std::get_if<host::OpenStream>(&action)) {
    open_stream(node, slot, std::move(*open));
  } else if (auto* msg = std::get_if<host::SendMessage>(&action)) {
    send(node, msg->ref, std::move(msg->message), msg->token);
  } else if (auto* close = std::get_if<host::CloseWrite>(&action)) {
    close_write(node, close->ref);
  } else if (auto* reset = std::get_if<host::AbortStream>(&action)) {
    auto s = streams_.find(reset->ref);
    if (s != streams_.end() && !s->second->ended[s->second->side_of(node)])
      reset_stream(reset->ref, node, make_error(Errc::closed, reset->why));
  } else if (auto* punish = std::get_if<host::PunishPeer>(&action)) {
    host::Swarm& swarm = nodes_[node]->swarm;
    bool ban = punish->how_long > Duration::zero();
    if (ban) swarm.ban(punish->peer, punish->how_long, punish->why, now_);
    swarm.disconnect(punish->peer, ban ? host::CloseReason::banned : host::CloseReason::requested,
                     punish->why);
    apply_policy(node);
  }
  // DialPeer: the memory network has no addresses to dial; tests and scenarios connect nodes.
}

}  // namespace agora::sim
