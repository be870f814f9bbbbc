#include "runtime/sim/memory_network.h"

#include <cstdio>

#include "runtime/sim/memory_network_internal.h"

namespace agora::sim {

using host::StreamRef;

MemoryNetwork::MemoryNetwork(MemoryNetworkConfig config) : config_(std::move(config)) {}
MemoryNetwork::~MemoryNetwork() = default;

MemoryNetwork::NodeId MemoryNetwork::add_node(PeerId peer) {
  if (nodes_.size() >= kSimNodesMax) std::abort();  // past the address plan: a scenario's bug
  nodes_.push_back(std::make_unique<Node>(std::move(peer), config_.swarm));
  return nodes_.size() - 1;
}

const PeerId& MemoryNetwork::peer(NodeId node) const { return nodes_.at(node)->peer; }
host::Swarm& MemoryNetwork::swarm(NodeId node) { return nodes_.at(node)->swarm; }

void MemoryNetwork::add_behaviour(NodeId node, host::Behaviour& behaviour,
                                  std::function<void()> on_progress) {
  Node& n = *nodes_.at(node);
  auto slot = std::make_unique<BehaviourSlot>();
  slot->behaviour = &behaviour;
  slot->on_progress = std::move(on_progress);
  for (auto& spec : behaviour.protocols()) {
    (void)n.swarm.add_protocol(spec.name, spec.config);  // past protocols_max: streams refused
    if (spec.config.idle_timeout > Duration::zero()) n.idle_timeouts = true;
    if (spec.inbound) n.served[spec.name] = slot.get();
    slot->specs[spec.name] = spec;
  }
  n.slots.push_back(std::move(slot));
  join_groups(node, *n.slots.back());
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

Multiaddr MemoryNetwork::address_of(NodeId node) { return sim_address(node); }

std::optional<MemoryNetwork::NodeId> MemoryNetwork::node_at(const Multiaddr& addr) const {
  auto ep = addr.tcp_endpoint();
  unsigned b[4];
  char tail;
  if (!ep || ep->ipv6 ||
      std::sscanf(ep->host.c_str(), "%u.%u.%u.%u%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4 ||
      b[0] < 10 || b[0] > 254 || b[1] > 255 || b[2] > 255 || b[3] != 1)
    return std::nullopt;
  NodeId n = (NodeId(b[0] - 10) << 16) | (NodeId(b[1]) << 8) | NodeId(b[2]);
  if (n >= nodes_.size()) return std::nullopt;
  return n;
}

bool MemoryNetwork::online(NodeId node) const { return nodes_.at(node)->online; }

void MemoryNetwork::set_spans(NodeId node, observe::SpanRecorder* spans) {
  nodes_.at(node)->spans = spans;
}

void MemoryNetwork::set_dialable(NodeId node, bool dialable) {
  nodes_.at(node)->dialable = dialable;
}

void MemoryNetwork::set_online(NodeId node, bool online) {
  nodes_.at(node)->online = online;
  if (online) return;
  std::vector<host::ConnectionId> mine;
  for (const auto& [id, c] : connections_)
    if (c.a == node || c.b == node) mine.push_back(id);
  for (host::ConnectionId id : mine) close_connection(id, host::CloseReason::io_error, "offline");
}

void MemoryNetwork::dial(NodeId node, const PeerId& peer, std::vector<Multiaddr> addrs,
                         std::function<void(Status)> done) {
  schedule(2 * config_.latency, [this, node, peer, addrs = std::move(addrs), done] {
    if (!nodes_[node]->online) return done(make_error(Errc::closed, "we are offline"));
    if (nodes_[node]->swarm.connection_to(peer)) return done({});
    Error last = make_error(Errc::not_found, "no address to dial");
    for (const Multiaddr& a : addrs) {
      std::optional<NodeId> target = node_at(a);
      if (!target || nodes_[*target]->peer != peer) {
        last = make_error(Errc::peer_mismatch, "no such peer at " + a.to_string());
        continue;
      }
      auto c = connect(node, *target);
      if (c) return done({});
      last = c.error();
    }
    done(last);
  });
}

void MemoryNetwork::probe(NodeId node, BehaviourSlot& slot, host::ProbeDial p) {
  schedule(2 * config_.latency, [this, node, &slot, p = std::move(p)] {
    if (!nodes_[node]->online) return;
    Result<Multiaddr> reached = make_error(Errc::not_found, "no address to dial");
    for (const Multiaddr& a : p.addrs) {
      std::optional<NodeId> target = node_at(a);
      if (!target || nodes_[*target]->peer != p.peer) {
        reached = make_error(Errc::peer_mismatch, "no such peer at " + a.to_string());
      } else if (!nodes_[*target]->online || !nodes_[*target]->dialable) {
        reached = make_error(Errc::timeout, a.to_string() + ": no answer");
      } else {
        reached = a;
        break;
      }
    }
    slot.behaviour->on_probe_finished({p.tag, p.peer, std::move(reached)}, now_);
    pump(node, slot);
  });
}

Result<host::ConnectionId> MemoryNetwork::connect(NodeId from, NodeId to) {
  if (from == to) return make_error(Errc::invalid_input, "a node cannot connect to itself");
  Node& a = *nodes_.at(from);
  Node& b = *nodes_.at(to);
  if (!a.online || !b.online) return make_error(Errc::timeout, "the node is offline");
  if (!b.dialable) return make_error(Errc::timeout, "no answer (the node is not dialable)");
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
  arm_swarm_timer(node);
}

// The swarm's idle timeouts, as rt::Swarm drives them: one wake-up at its next_timer().
void MemoryNetwork::arm_swarm_timer(NodeId node) {
  Node& n = *nodes_[node];
  if (!n.idle_timeouts) return;
  std::optional<Instant> next = n.swarm.next_timer();
  if (!next || (n.swarm_timer_at && *n.swarm_timer_at <= *next)) return;
  n.swarm_timer_at = next;
  schedule(std::max(*next, now_) - now_, [this, node] {
    nodes_[node]->swarm_timer_at.reset();
    nodes_[node]->swarm.on_timer(now_);
    apply_policy(node);
  });
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
  arm_timer(node, slot);
  if (slot.on_progress) slot.on_progress();
}

// One wake-up per slot is pending at a time, at the earliest deadline seen: a deadline that moves
// later leaves it in place (an early on_timer finds nothing due and the slot re-arms), so moving
// deadlines do not fill the queue with stale events.
void MemoryNetwork::arm_timer(NodeId node, BehaviourSlot& slot) {
  std::optional<Instant> next = slot.behaviour->next_timer();
  if (!next || (slot.armed && *slot.armed <= *next)) return;
  slot.armed = next;
  uint64_t generation = ++slot.timer_generation;
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
  } else if (auto* bytes = std::get_if<host::SendBytes>(&action)) {
    if (bytes->data.buffer && bytes->data.offset + bytes->data.size <= bytes->data.buffer->size()) {
      send_bytes(node, bytes->ref, bytes->data.view(), bytes->token);
    } else {  // as rt::BehaviourHost: the behaviour's bug ends its stream
      reset_stream(bytes->ref, node, make_error(Errc::internal, "SendBytes: a slice out of range"));
    }
  } else if (auto* read = std::get_if<host::ReadBytes>(&action)) {
    grant(node, read->ref, read->bytes);
  } else if (auto* close = std::get_if<host::CloseWrite>(&action)) {
    close_write(node, close->ref);
  } else if (auto* reset = std::get_if<host::AbortStream>(&action)) {
    auto s = streams_.find(reset->ref);
    if (s != streams_.end() && !s->second->ended[s->second->side_of(node)]) {
      s->second->aborted[s->second->side_of(node)] = true;
      reset_stream(reset->ref, node, make_error(Errc::closed, reset->why));
    }
  } else if (auto* punish = std::get_if<host::PunishPeer>(&action)) {
    host::Swarm& swarm = nodes_[node]->swarm;
    bool ban = punish->how_long > Duration::zero();
    if (ban) swarm.ban(punish->peer, punish->how_long, punish->why, now_);
    swarm.disconnect(punish->peer, ban ? host::CloseReason::banned : host::CloseReason::requested,
                     punish->why);
    apply_policy(node);
  }
  if (auto* traced = std::get_if<host::TraceStream>(&action)) {
    auto s = streams_.find(traced->ref);
    if (s != streams_.end()) {
      auto& span = s->second->span[s->second->side_of(node)];
      if (span && traced->context) {
        span->trace_id = traced->context->trace_id;
        span->parent_span_id = traced->context->span_id;
      }
      if (span) span->key = traced->key;
    }
  }
  if (auto* d = std::get_if<host::SendDatagram>(&action)) send_datagram(node, slot, *d);
  if (auto* c = std::get_if<host::CloseConnection>(&action))
    close_connection(c->connection, c->reason, c->detail);
  if (auto* p = std::get_if<host::ProbeDial>(&action)) probe(node, slot, std::move(*p));
  if (auto* d = std::get_if<host::DialPeer>(&action))
    dial(node, d->peer, std::move(d->addrs), [this, node, &slot, peer = d->peer](Status st) {
      slot.behaviour->on_dial_finished({peer, std::move(st)}, now_);
      pump(node, slot);
    });
}

}  // namespace agora::sim
