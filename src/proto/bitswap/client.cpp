#include "proto/bitswap/client.h"

#include <algorithm>

namespace agora::bitswap {

Client::Client(ClientConfig config) : config_(config), recent_(config.recent_cids_max) {}

Status Client::want(std::span<const Cid> cids, Instant now) {
  size_t refused = 0;
  for (const Cid& cid : cids) {
    if (wants_.count(cid)) continue;
    if (wants_.size() >= config_.wants_max) {
      ++refused;
      continue;
    }
    Want& w = wants_[cid];
    w.seq = next_want_seq_++;
    pending_.emplace(w.seq, cid);
  }
  stats_.wants_refused += refused;
  promote(now);
  dispatch(now);
  if (refused)
    return make_error(Errc::limit, "bitswap client: " + std::to_string(refused) +
                                       " wants refused, wants_max " +
                                       std::to_string(config_.wants_max) + " reached");
  return {};
}

void Client::cancel(std::span<const Cid> cids, Instant now) {
  for (const Cid& cid : cids)
    if (wants_.count(cid)) finish_want(cid, std::nullopt, now);
  promote(now);
  dispatch(now);
}

Status Client::on_peer_connected(const PeerId& peer, Instant now) {
  if (handles_.count(peer)) return {};
  if (peers_.size() >= config_.peers_max) {
    ++stats_.peers_refused;
    return make_error(
        Errc::limit, "bitswap client: peers_max " + std::to_string(config_.peers_max) + " reached");
  }
  PeerHandle h = next_handle_++;
  handles_.emplace(peer, h);
  Peer& p = peers_[h];
  p.id = peer;
  // The first message replaces whatever the peer remembers of an earlier connection.
  p.outbound_full = !live_.empty();
  for (auto& [seq, cid] : live_) {
    Want& w = wants_.at(cid);
    ask_have(cid, w, h, now);
    after_change(cid, w);
  }
  if (p.outbound_full && !p.in_outbound_ring) {
    p.in_outbound_ring = true;
    outbound_ring_.push_back(h);
  }
  return {};
}

void Client::on_peer_disconnected(const PeerId& peer, Instant now) {
  auto h = handle_of(peer);
  if (!h) return;
  forget_peer_asks(*h, now);
  peers_.erase(*h);
  handles_.erase(peer);
  std::erase(outbound_ring_, *h);
  promote(now);
  dispatch(now);
}

void Client::on_message(const PeerId& peer, Message message, Instant now) {
  auto h = handle_of(peer);
  if (!h) {
    if (!on_peer_connected(peer, now).ok()) {
      ++stats_.messages_ignored;
      return;
    }
    h = handle_of(peer);
  }
  for (Block& block : message.blocks) {
    if (peers_.at(*h).stats.misbehaved) break;
    on_block(*h, std::move(block), now);
  }
  for (const Presence& presence : message.presences) {
    if (peers_.at(*h).stats.misbehaved) break;
    on_presence(*h, presence, now);
  }
  if (peers_.at(*h).stats.misbehaved) ++stats_.messages_ignored;
  promote(now);
  dispatch(now);
}

void Client::on_timer(Instant now) {
  expire_timers(now);
  if (!live_.empty() && now >= next_rebroadcast_at_) rebroadcast(now);
  promote(now);
  dispatch(now);
}

std::optional<Instant> Client::next_timer() const {
  std::optional<Instant> next;
  if (!timers_.empty()) next = timers_.begin()->first.first;
  if (!live_.empty() && (!next || next_rebroadcast_at_ < *next)) next = next_rebroadcast_at_;
  return next;
}

std::optional<Outbound> Client::poll_outbound() {
  while (!outbound_ring_.empty()) {
    PeerHandle h = outbound_ring_.front();
    outbound_ring_.pop_front();
    auto it = peers_.find(h);
    if (it == peers_.end()) continue;
    Peer& p = it->second;
    p.in_outbound_ring = false;
    if (p.outbound.empty() && !p.outbound_full) continue;
    Outbound out{p.id, {}};
    out.message.full_wantlist = p.outbound_full;
    p.outbound_full = false;
    size_t n = std::min(p.outbound.size(), std::max<size_t>(config_.message_entries_max, 1));
    out.message.wantlist.assign(std::make_move_iterator(p.outbound.begin()),
                                std::make_move_iterator(p.outbound.begin() + ptrdiff_t(n)));
    p.outbound.erase(p.outbound.begin(), p.outbound.begin() + ptrdiff_t(n));
    p.outbound_index.clear();
    for (size_t i = 0; i < p.outbound.size(); ++i) p.outbound_index[p.outbound[i].cid] = i;
    if (!p.outbound.empty()) {
      p.in_outbound_ring = true;
      outbound_ring_.push_back(h);
    }
    return out;
  }
  return std::nullopt;
}

std::optional<ClientEvent> Client::poll_event() {
  if (events_.empty()) return std::nullopt;
  ClientEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::optional<ClientPeerStats> Client::peer_stats(const PeerId& peer) const {
  auto h = handle_of(peer);
  if (!h) return std::nullopt;
  return peers_.at(*h).stats;
}

std::optional<Client::PeerHandle> Client::handle_of(const PeerId& peer) const {
  auto it = handles_.find(peer);
  if (it == handles_.end()) return std::nullopt;
  return it->second;
}

// A later entry for the same CID replaces an unsent earlier one (want-have -> want-block ->
// cancel), so the queue never holds more than one entry per CID.
void Client::queue_entry(PeerHandle h, WantEntry entry) {
  Peer& p = peers_.at(h);
  if (p.stats.misbehaved) return;
  if (entry.cancel)
    ++stats_.cancels_sent;
  else if (entry.type == WantType::block)
    ++stats_.want_blocks_sent;
  else
    ++stats_.want_haves_sent;
  auto it = p.outbound_index.find(entry.cid);
  if (it != p.outbound_index.end()) {
    p.outbound[it->second] = std::move(entry);
    return;
  }
  if (p.outbound.size() >= config_.peer_outbound_entries_max) {
    ++stats_.outbound_entries_dropped;
    return;
  }
  p.outbound_index.emplace(entry.cid, p.outbound.size());
  p.outbound.push_back(std::move(entry));
  if (!p.in_outbound_ring) {
    p.in_outbound_ring = true;
    outbound_ring_.push_back(h);
  }
}

void Client::adjust_score(Peer& p, int32_t delta) {
  p.stats.score = std::clamp(p.stats.score + delta, kScoreMin, kScoreMax);
}

// Reported once; the peer is then ignored (no asks, no messages) until it disconnects.
void Client::misbehave(PeerHandle h, std::string reason, Instant now) {
  Peer& p = peers_.at(h);
  if (p.stats.misbehaved) return;
  forget_peer_asks(h, now);
  p.stats.misbehaved = true;
  p.stats.score = kScoreMin;
  p.outbound.clear();
  p.outbound_index.clear();
  p.outbound_full = false;
  events_.push_back(PeerMisbehaved{p.id, std::move(reason)});
}

void Client::forget_peer_asks(PeerHandle h, Instant now) {
  for (auto& [seq, cid] : live_) {
    Want& w = wants_.at(cid);
    if (!w.asks.count(h)) continue;
    set_ask(cid, w, h, std::nullopt, now);
    after_change(cid, w);
  }
}

}  // namespace agora::bitswap
