// MemoryNetwork's byte streams (Framing::Kind::bytes): flow control by a window per direction and
// read credit per side (see memory_network.h). Deliveries run as events, one chunk each, so a
// behaviour's on_bytes never re-enters another.
#include "runtime/sim/memory_network.h"
#include "runtime/sim/memory_network_internal.h"

namespace agora::sim {

using host::StreamRef;

namespace {
constexpr size_t kDeliveryChunkBytes = 256 * 1024;  // as rt::BehaviourHost's byte_read_chunk_bytes
}

size_t MemoryNetwork::byte_stream_buffered_bytes() const {
  size_t total = 0;
  for (const auto& [ref, s] : streams_)
    for (const auto& flow : s->flow) total += flow.queued_bytes + flow.in_window;
  return total;
}

void MemoryNetwork::send_bytes(NodeId node, StreamRef ref, BytesView data, uint64_t token) {
  auto it = streams_.find(ref);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  int side = s.side_of(node);
  if (s.ended[side] || s.write_closed[side]) return;
  if (!s.bytes)
    return reset_stream(ref, node, make_error(Errc::internal, "SendBytes on a message protocol"));
  Stream::ByteFlow& flow = s.flow[side];
  const size_t queue_max = s.slot[side]->specs.at(s.protocol).send_queue_bytes_max;
  if (flow.queued_bytes + data.size() > queue_max)
    return reset_stream(
        ref, node,
        make_error(Errc::limit, "the peer does not read: over " + std::to_string(queue_max) +
                                    " bytes queued for the stream"));
  // Queued bytes are charged to the resource manager, as rt::BehaviourHost charges its queue.
  if (auto refusal =
          nodes_[node]->swarm.reserve_stream_memory(ref.connection, ref.stream, data.size())) {
    reset_stream(ref, node, make_error(Errc::limit, "resource manager: " + refusal->detail));
    return apply_policy(node);
  }
  nodes_[node]->swarm.on_stream_activity(ref.connection, ref.stream, now_);
  flow.queued.emplace_back(Bytes(data.begin(), data.end()), token);
  flow.queued_bytes += data.size();
  if (s.span[side]) s.span[side]->bytes_sent += data.size();
  transmit(ref, side);
}

// Moves `side`'s queued bytes into the window (an empty window takes one chunk of any size), then
// its close once nothing is queued.
void MemoryNetwork::transmit(StreamRef ref, int side) {
  auto it = streams_.find(ref);
  if (it == streams_.end()) return;
  Stream::ByteFlow& flow = it->second->flow[side];
  const int other = 1 - side;
  while (!flow.queued.empty()) {
    auto& [data, token] = flow.queued.front();
    if (flow.in_window > 0 && flow.in_window + data.size() > config_.stream_window_bytes) break;
    flow.in_window += data.size();
    flow.queued_bytes -= data.size();
    nodes_[it->second->node[side]]->swarm.release_stream_memory(ref.connection, ref.stream,
                                                                data.size());
    if (token != 0) {
      schedule(Duration::zero(), [this, ref, side, token = token] {
        auto it = streams_.find(ref);
        if (it == streams_.end() || it->second->ended[side]) return;
        BehaviourSlot& slot = *it->second->slot[side];
        slot.behaviour->on_message_sent(ref, token, now_);
        pump(it->second->node[side], slot);
      });
    }
    schedule(config_.latency, [this, ref, other, data = std::move(data)]() mutable {
      auto it = streams_.find(ref);
      if (it == streams_.end() || it->second->ended[other]) return;
      it->second->flow[other].inbox.push_back(std::move(data));
      deliver(ref, other);
    });
    flow.queued.pop_front();
  }
  if (flow.queued.empty() && flow.fin_queued && !flow.fin_sent) {
    flow.fin_sent = true;
    schedule(config_.latency, [this, ref, other] {
      auto it = streams_.find(ref);
      if (it == streams_.end() || it->second->ended[other]) return;
      it->second->flow[other].fin_arrived = true;
      deliver(ref, other);
    });
    maybe_done(ref);
  }
}

void MemoryNetwork::grant(NodeId node, StreamRef ref, size_t bytes) {
  auto it = streams_.find(ref);
  if (it == streams_.end() || !it->second->bytes) return;
  int side = it->second->side_of(node);
  it->second->flow[side].credit += bytes;
  deliver(ref, side);
}

void MemoryNetwork::deliver(StreamRef ref, int side) {
  auto it = streams_.find(ref);
  if (it == streams_.end()) return;
  Stream::ByteFlow& flow = it->second->flow[side];
  const bool ready = !flow.inbox.empty() || (flow.fin_arrived && !it->second->read_done[side]);
  if (flow.delivery_scheduled || flow.credit == 0 || !ready) return;
  flow.delivery_scheduled = true;
  schedule(Duration::zero(), [this, ref, side] { deliver_chunk(ref, side); });
}

// Hands `side`'s behaviour one chunk (or, with nothing left before it, the peer's close); the
// bytes taken leave the sender's window after the window update's one-way latency.
void MemoryNetwork::deliver_chunk(StreamRef ref, int side) {
  auto it = streams_.find(ref);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  Stream::ByteFlow& flow = s.flow[side];
  flow.delivery_scheduled = false;
  if (s.ended[side] || flow.credit == 0) return;
  NodeId node = s.node[side];
  BehaviourSlot& slot = *s.slot[side];
  if (flow.inbox.empty()) {
    if (!flow.fin_arrived || s.read_done[side]) return;
    s.read_done[side] = true;
    s.last_heard[side] = now_;
    slot.behaviour->on_stream_finished(ref, now_);
    pump(node, slot);
    return maybe_done(ref);
  }
  const Bytes& front = flow.inbox.front();
  const size_t n = std::min({flow.credit, front.size() - flow.inbox_offset, kDeliveryChunkBytes});
  Bytes chunk(front.begin() + ptrdiff_t(flow.inbox_offset),
              front.begin() + ptrdiff_t(flow.inbox_offset + n));
  flow.inbox_offset += n;
  if (flow.inbox_offset == front.size()) {
    flow.inbox.pop_front();
    flow.inbox_offset = 0;
  }
  flow.credit -= n;
  s.last_heard[side] = now_;
  const int sender = 1 - side;
  schedule(config_.latency, [this, ref, sender, n] {
    auto it = streams_.find(ref);
    if (it == streams_.end()) return;
    it->second->flow[sender].in_window -= n;
    transmit(ref, sender);
  });
  nodes_[node]->swarm.on_stream_activity(ref.connection, ref.stream, now_);
  if (s.span[side]) s.span[side]->bytes_received += n;
  slot.behaviour->on_bytes(ref, chunk, now_);
  pump(node, slot);
  deliver(ref, side);
}

}  // namespace agora::sim
