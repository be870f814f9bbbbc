// MemoryNetwork's streams: negotiation, messages, half-close, reset (see memory_network.h).
#include "runtime/sim/memory_network.h"
#include "runtime/sim/memory_network_internal.h"

namespace agora::sim {

using host::StreamRef;

int64_t MemoryNetwork::virtual_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(now_.time_since_epoch()).count();
}

// A request's span starts when the open is asked for (dialling and negotiation included), as in
// rt::BehaviourHost.
void MemoryNetwork::open_stream(NodeId node, BehaviourSlot& slot, host::OpenStream req,
                                std::optional<observe::Span> span) {
  observe::SpanRecorder* spans = req.trace ? nodes_[node]->spans : nullptr;
  if (!spans) span.reset();
  if (spans && !span)
    span = observe::stream_span(spans->new_span_id(), req.peer.to_string(), req.protocol, false,
                                req.trace->context, req.trace->key, virtual_ns());
  auto fail = [&](Error e) {
    if (span) observe::finish_stream_span(*spans, std::move(*span), e, true, false, virtual_ns());
    schedule(Duration::zero(), [this, node, &slot, req, e] {
      slot.behaviour->on_stream_open_failed({req.tag, req.peer, req.protocol, e}, now_);
      pump(node, slot);
    });
  };
  std::optional<host::ConnectionId> conn = nodes_[node]->swarm.connection_to(req.peer);
  if (req.connection != 0) {
    if (!connections_.count(req.connection))
      return fail(make_error(Errc::closed, "the connection is gone"));
    conn = req.connection;
  }
  if ((!conn || !connections_.count(*conn)) && !req.addrs.empty()) {
    std::vector<Multiaddr> addrs = std::move(req.addrs);
    req.addrs.clear();
    dial(node, req.peer, std::move(addrs), [this, node, &slot, req, span](Status st) {
      if (!st) {
        if (span && nodes_[node]->spans)
          observe::finish_stream_span(*nodes_[node]->spans, *span, st.error(), true, false,
                                      virtual_ns());
        slot.behaviour->on_stream_open_failed({req.tag, req.peer, req.protocol, st.error()}, now_);
        return pump(node, slot);
      }
      open_stream(node, slot, req, span);  // the same span: the dial is part of the request
    });
    return;
  }
  if (!conn || !connections_.count(*conn))
    return fail(make_error(Errc::not_found, "not connected to the peer"));
  if (!slot.specs.count(req.protocol))
    return fail(make_error(Errc::internal, "protocol not declared by the behaviour"));
  StreamRef ref{*conn, next_stream_++};
  if (auto refusal = nodes_[node]->swarm.on_stream_opened(ref.connection, ref.stream, req.protocol,
                                                          host::Direction::outbound, now_))
    return fail(refusal->to_error());
  arm_swarm_timer(node);
  const Connection& c = connections_.at(*conn);
  NodeId remote = c.a == node ? c.b : c.a;
  auto s = std::make_unique<Stream>();
  s->ref = ref;
  s->protocol = req.protocol;
  s->node[0] = node;
  s->node[1] = remote;
  s->slot[0] = &slot;
  s->tag = req.tag;
  s->bytes = slot.specs.at(req.protocol).framing.kind == host::Framing::Kind::bytes;
  s->span[0] = std::move(span);
  streams_[ref] = std::move(s);
  // The remote hears of it after one latency; we hear its answer after a round trip.
  schedule(config_.latency, [this, ref, req, remote] {
    auto it = streams_.find(ref);
    if (it == streams_.end()) return;
    Stream& s = *it->second;
    Node& r = *nodes_[remote];
    // Negotiation: the first of the protocol and its fallbacks the peer serves.
    auto served = r.served.find(s.protocol);
    for (size_t i = 0; served == r.served.end() && i < req.fallback_protocols.size(); ++i) {
      if (!s.slot[0]->specs.count(req.fallback_protocols[i])) break;  // not the opener's
      served = r.served.find(req.fallback_protocols[i]);
      if (served != r.served.end()) s.protocol = req.fallback_protocols[i];
    }
    std::optional<Error> refused;
    if (served == r.served.end()) {
      refused = make_error(Errc::unsupported, "the peer does not speak " + s.protocol);
    } else if (auto refusal = r.swarm.on_stream_opened(ref.connection, ref.stream, s.protocol,
                                                       host::Direction::inbound, now_)) {
      refused = refusal->to_error();
    }
    if (refused) {
      schedule(config_.latency, [this, ref, req, e = *refused] {
        auto it = streams_.find(ref);
        if (it == streams_.end()) return;
        BehaviourSlot& opener = *it->second->slot[0];
        NodeId node = it->second->node[0];
        finish_span(*it->second, 0, e, false);
        nodes_[node]->swarm.on_stream_closed(ref.connection, ref.stream);
        streams_.erase(it);
        opener.behaviour->on_stream_open_failed({req.tag, req.peer, req.protocol, e}, now_);
        pump(node, opener);
      });
      return;
    }
    s.slot[1] = served->second;
    s.ended[1] = false;
    if (observe::SpanRecorder* spans = r.spans)
      s.span[1] = observe::stream_span(spans->new_span_id(), nodes_[s.node[0]]->peer.to_string(),
                                       s.protocol, true, std::nullopt, "", virtual_ns());
    arm_swarm_timer(remote);
    NodeId opener_node = s.node[0];
    host::StreamOpened inbound{ref, nodes_[opener_node]->peer, s.protocol, host::Direction::inbound,
                               0,   sim_address(opener_node)};
    // The negotiation's answer goes out before anything the acceptor sends on the stream.
    schedule(config_.latency, [this, ref, req, remote] {
      auto it = streams_.find(ref);
      if (it == streams_.end() || it->second->ended[0]) return;
      it->second->announced = true;
      host::StreamOpened outbound{
          ref,     req.peer,           it->second->protocol, host::Direction::outbound,
          req.tag, sim_address(remote)};
      it->second->slot[0]->behaviour->on_stream_opened(outbound, now_);
      pump(it->second->node[0], *it->second->slot[0]);
    });
    served->second->behaviour->on_stream_opened(inbound, now_);
    pump(remote, *served->second);
  });
}

void MemoryNetwork::send(NodeId node, StreamRef ref, Bytes message, uint64_t token) {
  auto it = streams_.find(ref);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  int side = s.side_of(node);
  if (s.ended[side] || s.write_closed[side]) return;
  auto framed = host::frame_message(s.slot[side]->specs.at(s.protocol).framing, message);
  if (!framed) return reset_stream(ref, node, framed.error());
  if (s.bytes) return send_bytes(node, ref, *framed, token);  // raw, in order with SendBytes
  nodes_[node]->swarm.on_stream_activity(ref.connection, ref.stream, now_);
  if (s.span[side]) s.span[side]->bytes_sent += framed->size();
  if (token != 0) {
    // Memory has no send queue: the message is out at once.
    schedule(Duration::zero(), [this, ref, side, token] {
      auto it = streams_.find(ref);
      if (it == streams_.end() || it->second->ended[side]) return;
      BehaviourSlot& slot = *it->second->slot[side];
      NodeId n = it->second->node[side];
      slot.behaviour->on_message_sent(ref, token, now_);
      pump(n, slot);
    });
  }
  int other = 1 - side;
  schedule(config_.latency, [this, ref, other, message = std::move(message)]() mutable {
    auto it = streams_.find(ref);
    if (it == streams_.end() || it->second->ended[other]) return;
    Stream& s = *it->second;
    // The receiver's framing decides, as a MessageReader would on the wire.
    const host::Framing& framing = s.slot[other]->specs.at(s.protocol).framing;
    auto framed = host::frame_message(framing, message);
    if (!framed) return reset_stream(ref, s.node[other], framed.error());
    NodeId receiver = s.node[other];
    BehaviourSlot& slot = *s.slot[other];
    nodes_[receiver]->swarm.on_stream_activity(ref.connection, ref.stream, now_);
    s.last_heard[other] = now_;
    if (s.span[other]) s.span[other]->bytes_received += framed->size();
    ++messages_delivered_;
    slot.behaviour->on_message(ref, std::move(message), now_);
    pump(receiver, slot);
  });
}

void MemoryNetwork::close_write(NodeId node, StreamRef ref) {
  auto it = streams_.find(ref);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  int side = s.side_of(node);
  if (s.ended[side] || s.write_closed[side]) return;
  s.write_closed[side] = true;
  s.last_heard[side] = std::max(s.last_heard[side], now_);
  schedule(s.slot[side]->specs.at(s.protocol).close_linger,
           [this, ref, side] { check_linger(ref, side); });
  if (s.bytes) {  // the close follows the bytes still queued
    s.flow[side].fin_queued = true;
    return transmit(ref, side);
  }
  int other = 1 - side;
  schedule(config_.latency, [this, ref, other] {
    auto it = streams_.find(ref);
    if (it == streams_.end() || it->second->ended[other]) return;
    it->second->read_done[other] = true;
    it->second->last_heard[other] = now_;
    NodeId receiver = it->second->node[other];
    BehaviourSlot& slot = *it->second->slot[other];
    slot.behaviour->on_stream_finished(ref, now_);
    pump(receiver, slot);
    maybe_done(ref);
  });
  maybe_done(ref);
}

// After `side` closed its write: once the peer has sent it nothing for the protocol's
// close_linger, the stream is reset (as in rt::BehaviourHost).
void MemoryNetwork::check_linger(StreamRef ref, int side) {
  auto it = streams_.find(ref);
  if (it == streams_.end() || it->second->ended[side]) return;
  Stream& s = *it->second;
  const Instant due = s.last_heard[side] + s.slot[side]->specs.at(s.protocol).close_linger;
  if (now_ < due) return schedule(due - now_, [this, ref, side] { check_linger(ref, side); });
  reset_stream(ref, s.node[side],
               make_error(Errc::timeout, "the peer sent nothing for close_linger after our close"));
}

void MemoryNetwork::maybe_done(StreamRef ref) {
  for (int side : {0, 1}) {
    auto it = streams_.find(ref);
    if (it == streams_.end()) return;
    Stream& s = *it->second;
    // A byte stream's side has closed once its close has left, after its queued bytes.
    const bool closed = s.write_closed[side] && (!s.bytes || s.flow[side].fin_sent);
    if (!s.ended[side] && closed && s.read_done[side])
      end_side(ref, side, make_error(Errc::closed, "stream closed by both sides"), true);
  }
}

void MemoryNetwork::reset_stream(StreamRef ref, NodeId by, const Error& why) {
  auto it = streams_.find(ref);
  if (it == streams_.end()) return;
  int side = it->second->side_of(by);
  int other = 1 - side;
  if (!it->second->ended[side]) end_side(ref, side, why);
  schedule(config_.latency, [this, ref, other, why] {
    auto it = streams_.find(ref);
    if (it == streams_.end() || it->second->ended[other]) return;
    end_side(ref, other, make_error(Errc::closed, "reset by the peer: " + why.message));
  });
}

void MemoryNetwork::finish_span(Stream& s, int side, const Error& why, bool clean) {
  observe::SpanRecorder* spans = nodes_[s.node[side]]->spans;
  if (!s.span[side] || !spans) return;
  observe::finish_stream_span(*spans, std::move(*s.span[side]), why, !clean, s.aborted[side],
                              virtual_ns());
  s.span[side].reset();
}

// One side's last input. The stream is forgotten once both sides have ended.
void MemoryNetwork::end_side(StreamRef ref, int side, const Error& why, bool clean) {
  auto it = streams_.find(ref);
  if (it == streams_.end() || it->second->ended[side]) return;
  Stream& s = *it->second;
  s.ended[side] = true;
  finish_span(s, side, why, clean);
  NodeId node = s.node[side];
  BehaviourSlot& slot = *s.slot[side];
  nodes_[node]->swarm.on_stream_closed(ref.connection, ref.stream);
  // An opener that never heard StreamOpened hears that the open failed, as on the wire.
  const bool open_failed = side == 0 && !s.announced;
  host::StreamOpenFailed failed{s.tag, nodes_[s.node[1]]->peer, s.protocol, why};
  if (s.ended[0] && s.ended[1]) streams_.erase(it);
  if (open_failed) {
    slot.behaviour->on_stream_open_failed(failed, now_);
  } else {
    slot.behaviour->on_stream_closed(ref, why, now_);
  }
  pump(node, slot);
}

}  // namespace agora::sim
