#include "behaviour/bitswap_behaviour.h"

namespace agora::behaviour {

using namespace bitswap;

BitswapBehaviour::BitswapBehaviour(BitswapBehaviourConfig config, BitswapBlocks& blocks)
    : config_(config), blocks_(blocks), client_(config.client), server_(config.server, blocks) {}

std::vector<host::ProtocolSpec> BitswapBehaviour::protocols() const {
  host::ProtocolSpec s;
  s.name = std::string(kBitswapProtocol);
  s.framing = {.kind = host::Framing::Kind::length_prefixed,
               .message_bytes_max = config_.limits.message_bytes_max};
  s.config.limits.all_peers = config_.all_peers;
  // Buffered for one peer: our queue to it, up to two of its largest messages being received at
  // once (a stream that would buffer more is reset), and read buffers.
  s.config.limits.per_peer = {
      .streams_inbound_max = config_.inbound_streams_per_peer_max,
      .streams_outbound_max = 64,
      .memory_bytes_max =
          config_.peer_send_queue_bytes_max + 2 * config_.limits.message_bytes_max + (1u << 20)};
  s.send_queue_bytes_max = config_.peer_send_queue_bytes_max;
  return {s};
}

std::optional<BitswapEvent> BitswapBehaviour::poll_event() { return host::take_front(events_); }

void BitswapBehaviour::emit(BitswapEvent e) {
  if (events_.size() >= config_.events_max) {
    events_.pop_front();
    ++stats_.events_dropped;
  }
  events_.push_back(std::move(e));
}

void BitswapBehaviour::misbehaved(const PeerId& peer, std::string reason) {
  ++stats_.peers_misbehaved;
  actions_.push_back(host::PunishPeer{peer, config_.misbehaviour_ban, "bitswap: " + reason});
  emit(BitswapMisbehaved{peer, std::move(reason)});
}

// Takes what the cores want done until they have nothing more.
void BitswapBehaviour::drain(Instant now) {
  for (bool again = true; again;) {
    again = false;
    while (auto out = client_.poll_outbound()) {
      send(out->peer, out->message, 0);
      again = true;
    }
    while (auto event = client_.poll_event()) {
      again = true;
      if (auto* block = std::get_if<BlockReceived>(&*event)) {
        ++stats_.blocks_received;
        stats_.block_bytes_received += block->data.size();
        emit(std::move(*block));
      } else if (auto* bad = std::get_if<PeerMisbehaved>(&*event)) {
        misbehaved(bad->peer, bad->reason);
      } else if (auto* stalled = std::get_if<WantStalled>(&*event)) {
        emit(*stalled);
      }
    }
    while (auto task = server_.poll_task(now)) {
      run_task(std::move(*task));
      again = true;
    }
  }
}

void BitswapBehaviour::run_task(SendTask task) {
  Message message;
  for (const Cid& cid : task.blocks) {
    auto data = blocks_.read_checked(cid);
    if (!data) {  // removed since the server looked (gc), or rotten
      message.presences.push_back({cid, PresenceType::dont_have});
      continue;
    }
    ++stats_.blocks_sent;
    stats_.block_bytes_sent += data->size();
    message.blocks.push_back({cid, std::move(*data)});
  }
  message.presences.insert(message.presences.end(), task.presences.begin(), task.presences.end());
  auto parts = split_message(std::move(message), config_.limits);
  if (!parts || parts->empty()) {
    server_.task_done(task.id);
    return;
  }
  for (size_t i = 0; i < parts->size(); ++i)
    send(task.peer, (*parts)[i], i + 1 == parts->size() ? task.id : 0);
}

// Queues `message` for the peer's stream; the last part of a server task carries its id, and the
// task is done once that part has been written (or it was dropped).
void BitswapBehaviour::send(const PeerId& peer, const Message& message, uint64_t task_id) {
  auto it = peers_.find(peer);
  Bytes bytes = encode_message(message);
  if (it == peers_.end() || it->second.connections == 0 ||
      it->second.waiting_bytes + bytes.size() > config_.peer_send_queue_bytes_max) {
    ++stats_.messages_dropped;
    if (task_id) server_.task_done(task_id);
    return;
  }
  Peer& p = it->second;
  p.waiting_bytes += bytes.size();
  p.waiting.push_back({std::move(bytes), task_id});
  if (p.out) {
    flush(p);
  } else if (!p.opening) {
    p.opening = true;
    uint64_t tag = next_tag_++;
    opening_[tag] = peer;
    actions_.push_back(
        host::OpenStream{.peer = peer, .protocol = std::string(kBitswapProtocol), .tag = tag});
  }
}

void BitswapBehaviour::flush(Peer& p) {
  for (Queued& q : p.waiting) {
    if (q.task_id) p.sent.insert(q.task_id);
    actions_.push_back(host::SendMessage{*p.out, std::move(q.message), q.task_id});
  }
  p.waiting.clear();
  p.waiting_bytes = 0;
}

// The peer's stream is gone: the tasks it held are done (their messages are lost; the peer asks
// again), and what waits goes out on a new stream.
void BitswapBehaviour::drop_stream(Peer& p) {
  for (uint64_t task : p.sent) server_.task_done(task);
  p.sent.clear();
  p.out.reset();
}

void BitswapBehaviour::peer_gone(const PeerId& peer, Instant now) {
  auto it = peers_.find(peer);
  if (it != peers_.end()) {
    Peer& p = it->second;
    if (p.out) outbound_.erase(*p.out);
    drop_stream(p);
    for (Queued& q : p.waiting)
      if (q.task_id) server_.task_done(q.task_id);
    stats_.messages_dropped += p.waiting.size();
    peers_.erase(it);
  }
  client_.on_peer_disconnected(peer, now);
  server_.on_peer_disconnected(peer);
  drain(now);
}

void BitswapBehaviour::on_connection_opened(const host::ConnectionOpened& c, Instant now) {
  ++peers_[c.peer].connections;
  (void)client_.on_peer_connected(c.peer, now);  // over peers_max: it is simply not asked
  drain(now);
}

void BitswapBehaviour::on_connection_ended(const host::ConnectionEnded& c, Instant now) {
  auto it = peers_.find(c.peer);
  if (it != peers_.end() && !c.last && it->second.connections > 1) {
    --it->second.connections;
    return;
  }
  peer_gone(c.peer, now);
}

void BitswapBehaviour::on_stream_opened(const host::StreamOpened& s, Instant now) {
  if (s.direction == host::Direction::inbound) {
    inbound_[s.ref] = s.peer;
    return;
  }
  auto o = opening_.find(s.tag);
  PeerId peer = o != opening_.end() ? o->second : s.peer;
  if (o != opening_.end()) opening_.erase(o);
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.out) {  // gone meanwhile, or a stream already there
    actions_.push_back(host::AbortStream{s.ref, "bitswap stream no longer needed"});
    return;
  }
  Peer& p = it->second;
  p.opening = false;
  p.out = s.ref;
  outbound_[s.ref] = peer;
  flush(p);
  drain(now);
}

void BitswapBehaviour::on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) {
  auto o = opening_.find(f.tag);
  if (o == opening_.end()) return;
  PeerId peer = o->second;
  opening_.erase(o);
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Peer& p = it->second;
  p.opening = false;
  // It does not speak bitswap (or the connection is going): stop asking it.
  for (Queued& q : p.waiting)
    if (q.task_id) server_.task_done(q.task_id);
  stats_.messages_dropped += p.waiting.size();
  p.waiting.clear();
  p.waiting_bytes = 0;
  client_.on_peer_disconnected(peer, now);
  server_.on_peer_disconnected(peer);
  drain(now);
}

void BitswapBehaviour::on_message(host::StreamRef ref, Bytes bytes, Instant now) {
  auto in = inbound_.find(ref);
  if (in == inbound_.end()) return;  // the peer wrote on our stream: not how bitswap works
  const PeerId peer = in->second;
  auto message = decode_message(bytes, config_.limits);
  if (!message) {
    ++stats_.messages_malformed;
    misbehaved(peer, "bitswap message: " + message.error().message);
    actions_.push_back(host::AbortStream{ref, "malformed bitswap message"});
    inbound_.erase(in);
    return;
  }
  ++stats_.messages_received;
  if (!message->wantlist.empty() || message->full_wantlist)
    (void)server_.on_message(peer, *message, now);
  client_.on_message(peer, std::move(*message), now);
  drain(now);
}

void BitswapBehaviour::on_message_sent(host::StreamRef ref, uint64_t token, Instant now) {
  auto o = outbound_.find(ref);
  if (o == outbound_.end()) return;
  auto it = peers_.find(o->second);
  if (it == peers_.end() || !it->second.sent.erase(token)) return;
  server_.task_done(token);
  drain(now);
}

void BitswapBehaviour::on_stream_finished(host::StreamRef ref, Instant) {
  // The peer is done sending on its stream; we never write on it, so close our side too.
  if (inbound_.count(ref)) actions_.push_back(host::CloseWrite{ref});
}

void BitswapBehaviour::on_stream_closed(host::StreamRef ref, const Error& why, Instant now) {
  if (auto in = inbound_.find(ref); in != inbound_.end()) {
    PeerId peer = in->second;
    inbound_.erase(in);
    // A frame over the limit or cut short is the peer's fault, as a malformed message is.
    if (why.code == Errc::too_large || why.code == Errc::invalid_input ||
        why.code == Errc::truncated) {
      ++stats_.messages_malformed;
      misbehaved(peer, "bitswap message: " + why.message);
    }
    return;
  }
  auto o = outbound_.find(ref);
  if (o == outbound_.end()) return;
  PeerId peer = o->second;
  outbound_.erase(o);
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.out != ref) return;
  // Peers may close a stream of ours that sat idle (Helia resets after 10 s): the next message
  // opens a new one.
  drop_stream(it->second);
  if (!it->second.waiting.empty() && !it->second.opening) {
    it->second.opening = true;
    uint64_t tag = next_tag_++;
    opening_[tag] = peer;
    actions_.push_back(
        host::OpenStream{.peer = peer, .protocol = std::string(kBitswapProtocol), .tag = tag});
  }
  drain(now);
}

void BitswapBehaviour::on_timer(Instant now) {
  client_.on_timer(now);
  drain(now);
}

std::optional<Instant> BitswapBehaviour::next_timer() const { return client_.next_timer(); }

std::optional<host::BehaviourAction> BitswapBehaviour::poll_action() {
  return host::take_front(actions_);
}

}  // namespace agora::behaviour
