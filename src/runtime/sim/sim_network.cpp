// Simulated network: requests and answers as kad::Message structs over links with latency and
// loss. Nothing is encoded; kad::check_limits stands in for the decoder's limits.
#include <cassert>

#include "runtime/sim/simulator.h"

namespace agora::sim {

uint64_t Simulator::store_envelope(Envelope envelope) {
  if (!free_envelopes_.empty()) {
    const uint64_t slot = free_envelopes_.back();
    free_envelopes_.pop_back();
    envelopes_[slot] = std::move(envelope);
    return slot;
  }
  envelopes_.push_back(std::move(envelope));
  return envelopes_.size() - 1;
}

void Simulator::send_request(NodeIndex from, kad::OutboundRequest request) {
  ++result_.network.requests;
  std::optional<NodeIndex> to = population_->index_of(request.to.id);
  if (!to) {
    // A made-up id: nobody answers, the core times the request out.
    ++result_.network.unroutable;
    trace_.line("{} unroutable {} {}", now_ns(), from, request.id);
    return;
  }
  trace_.line("{} req {} {} {} {}", now_ns(), from, *to, request.id,
              kad::message_type_name(request.message.type));
  send_envelope(Envelope{EnvelopeKind::request, from, *to, nodes_[from].incarnation, request.id,
                         std::move(request.message)});
}

void Simulator::send_envelope(Envelope envelope) {
  if (links_->lost(link_rng_)) {
    ++result_.network.lost;
    trace_.line("{} lost {} {} {}", now_ns(), envelope.from, envelope.to, envelope.request_id);
    return;
  }
  const Duration delay = links_->delay(envelope.from, envelope.to, link_rng_);
  const NodeIndex to = envelope.to;
  const uint64_t slot = store_envelope(std::move(envelope));
  queue_.schedule_after(delay, SimEvent{EventKind::deliver, to, slot});
}

void Simulator::deliver(uint64_t slot) {
  assert(slot < envelopes_.size());
  Envelope envelope = std::move(envelopes_[slot]);
  envelopes_[slot].message = {};  // drop what the move left behind
  free_envelopes_.push_back(slot);
  if (envelope.kind == EnvelopeKind::request) {
    deliver_request(envelope);
  } else {
    deliver_answer(envelope);
  }
}

void Simulator::deliver_request(Envelope& envelope) {
  const NodeIndex to = envelope.to;
  const NodeIndex from = envelope.from;
  if (!online(to)) {
    ++result_.network.to_offline;
    trace_.line("{} offline {} {} {}", now_ns(), to, from, envelope.request_id);
    return;
  }
  if (!online(from) || nodes_[from].incarnation != envelope.requester_incarnation) {
    // The requester crashed while its request travelled: the connection is gone.
    ++result_.network.stale;
    trace_.line("{} stale {} {} {}", now_ns(), to, from, envelope.request_id);
    return;
  }
  trace_.line("{} recv {} {} {}", now_ns(), to, from, envelope.request_id);
  const bool opened = connect(from, to);
  Envelope answer{EnvelopeKind::response, to, from, envelope.requester_incarnation,
                  envelope.request_id,    {}};
  Node& n = nodes_[to];
  if (n.role == Role::adversary) {
    ++result_.network.adversary_answers;
    answer.message = adversary_->answer(to, envelope.message, adversary_rng_);
    ++result_.network.responses;
    send_envelope(std::move(answer));
  } else if (Status limits = kad::check_limits(envelope.message, n.kad->config().limits);
             !limits.ok()) {
    ++result_.network.over_limits;
    ++result_.network.resets;
    answer.kind = EnvelopeKind::reset;
    send_envelope(std::move(answer));
  } else {
    auto handled = n.kad->handle_request(population_->id(from), envelope.message, now());
    if (!handled.ok()) {
      ++result_.network.resets;
      answer.kind = EnvelopeKind::reset;
      send_envelope(std::move(answer));
    } else if (handled->has_value()) {
      ++result_.network.responses;
      answer.message = std::move(**handled);
      send_envelope(std::move(answer));
    }
  }
  after_input(to);
  if (opened) after_input(from);  // its core heard of the new connection too
}

void Simulator::deliver_answer(Envelope& envelope) {
  const NodeIndex to = envelope.to;
  Node& n = nodes_[to];
  if (n.kad == nullptr || n.incarnation != envelope.requester_incarnation) {
    ++result_.network.stale;
    trace_.line("{} stale {} {} {}", now_ns(), to, envelope.from, envelope.request_id);
    return;
  }
  if (envelope.kind == EnvelopeKind::reset) {
    trace_.line("{} reset {} {} {}", now_ns(), to, envelope.from, envelope.request_id);
    n.kad->on_request_failed(envelope.request_id, "stream reset by peer", now());
  } else {
    trace_.line("{} resp {} {} {} {}", now_ns(), to, envelope.from, envelope.request_id,
                envelope.message.closer_peers.size());
    Status limits = kad::check_limits(envelope.message, n.kad->config().limits);
    if (limits.ok()) {
      n.kad->on_response(envelope.request_id, envelope.message, now());
    } else {
      ++result_.network.over_limits;
      n.kad->on_request_failed(envelope.request_id, limits.error().message, now());
    }
  }
  after_input(to);
}

}  // namespace agora::sim
