#include "proto/bitswap/server.h"

#include <algorithm>

namespace agora::bitswap {

Status Server::on_message(const PeerId& peer, const Message& message, Instant now) {
  ++stats_.messages;
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    if (message.wantlist.empty() && !message.full_wantlist) return {};  // nothing to keep
    if (peers_.size() >= config_.peers_max) {
      ++stats_.peers_refused;
      return make_error(Errc::limit, "bitswap server: peers_max " +
                                         std::to_string(config_.peers_max) + " reached");
    }
    it = peers_.emplace(peer, PeerState(config_.peer_wants_max)).first;
  }
  PeerState& state = it->second;
  state.last_message_at = now;
  LedgerApplyResult applied = state.ledger.apply(message);
  stats_.wants_dropped += applied.wants_dropped;
  stats_.wants_evicted += applied.wants_evicted;
  if (state.ledger.has_queued()) ring_add(peer, state);
  return {};
}

void Server::on_peer_disconnected(const PeerId& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  for (uint64_t id : it->second.tasks_in_flight) tasks_.erase(id);
  if (it->second.in_ring) std::erase(ring_, peer);
  peers_.erase(it);
}

void Server::on_block_added(const Cid& cid) {
  for (auto& [peer, state] : peers_)
    if (state.ledger.requeue_if_waiting(cid)) ring_add(peer, state);
}

std::optional<SendTask> Server::poll_task(Instant now) {
  (void)now;  // turns are by order, not time; kept for symmetry with the other cores
  // Each turn either yields a task or removes a peer from the ring, so this ends.
  while (!ring_.empty()) {
    PeerId peer = std::move(ring_.front());
    ring_.pop_front();
    auto it = peers_.find(peer);
    if (it == peers_.end()) continue;
    PeerState& state = it->second;
    state.in_ring = false;
    if (!state.ledger.has_queued() || !can_send(state)) continue;  // task_done re-adds it
    SendTask task = build_task(peer, state);
    if (state.ledger.has_queued()) ring_add(peer, state);
    if (task.blocks.empty() && task.presences.empty()) continue;
    state.in_flight_bytes += task.cost_bytes;
    state.tasks_in_flight.push_back(task.id);
    tasks_.emplace(task.id, TaskRecord{peer, task.cost_bytes});
    ++stats_.tasks;
    return task;
  }
  return std::nullopt;
}

void Server::task_done(uint64_t task_id) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;  // the peer left meanwhile
  auto peer_it = peers_.find(it->second.peer);
  if (peer_it != peers_.end()) {
    PeerState& state = peer_it->second;
    state.in_flight_bytes -= std::min(state.in_flight_bytes, it->second.cost_bytes);
    std::erase(state.tasks_in_flight, task_id);
    if (state.ledger.has_queued()) ring_add(peer_it->first, state);
  }
  tasks_.erase(it);
}

const PeerLedger* Server::ledger(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second.ledger;
}

size_t Server::in_flight_bytes(const PeerId& peer) const {
  auto it = peers_.find(peer);
  return it == peers_.end() ? 0 : it->second.in_flight_bytes;
}

bool Server::can_send(const PeerState& state) const {
  return state.in_flight_bytes < config_.peer_in_flight_bytes_max &&
         state.tasks_in_flight.size() < config_.peer_tasks_in_flight_max;
}

void Server::ring_add(const PeerId& peer, PeerState& state) {
  if (state.in_ring || !can_send(state)) return;
  state.in_ring = true;
  ring_.push_back(peer);
}

// Answers the peer's queued wants in priority order until the task is full.
SendTask Server::build_task(const PeerId& peer, PeerState& state) {
  SendTask task;
  task.id = next_task_id_++;
  task.peer = peer;
  PeerLedger& ledger = state.ledger;
  while (task.blocks.size() + task.presences.size() < config_.task_items_max) {
    std::optional<Cid> cid = ledger.peek_queued();
    if (!cid) break;
    const LedgerWant& want = *ledger.find(*cid);
    std::optional<size_t> size = blocks_.block_size(*cid);
    if (!size) {
      if (ledger.mark_waiting(*cid)) {
        task.presences.push_back({*cid, PresenceType::dont_have});
        ++stats_.dont_haves_planned;
      }
      continue;
    }
    bool send_block = want.type == WantType::block || *size <= config_.have_inline_block_bytes_max;
    if (!send_block) {
      task.presences.push_back({*cid, PresenceType::have});
      ++stats_.haves_planned;
      ledger.erase(*cid);
      continue;
    }
    // One block always fits, so a block over the task budget still goes out alone.
    if (!task.blocks.empty() && task.block_bytes + *size > config_.task_block_bytes_max) break;
    task.blocks.push_back(*cid);
    task.block_bytes += *size;
    ++stats_.blocks_planned;
    ledger.erase(*cid);
  }
  task.cost_bytes =
      task.block_bytes + kTaskItemCostBytes * (task.blocks.size() + task.presences.size());
  return task;
}

}  // namespace agora::bitswap
