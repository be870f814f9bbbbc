// The client's per-want state machine: who was asked what, who has it, who sends it.
#include <algorithm>

#include "proto/bitswap/client.h"

namespace agora::bitswap {
namespace {

// Earlier wants get higher priority, so peers answer them first (as boxo does).
constexpr int32_t kPriorityTop = 1 << 30;
int32_t priority_of(uint64_t seq) { return kPriorityTop - int32_t(seq % uint64_t(kPriorityTop)); }

}  // namespace

// Every change of a peer's ask goes through here so timers, open-ask counts and in-flight
// slots stay consistent. `next` nullopt forgets the peer for this want.
void Client::set_ask(const Cid& cid, Want& w, PeerHandle h, std::optional<Ask> next, Instant now) {
  Peer& p = peers_.at(h);
  auto it = w.asks.find(h);
  if (it != w.asks.end()) {
    PeerAsk& old = it->second;
    if (old.timer) timers_.erase(*old.timer);
    if (old.state == Ask::have_asked || old.state == Ask::block_asked) --p.asks_open;
    if (old.state == Ask::block_asked) {
      --p.stats.want_blocks_in_flight;
      --want_blocks_in_flight_;
      w.block_peer.reset();
    }
    if (!next) {
      w.asks.erase(it);
      return;
    }
  } else if (!next) {
    return;
  }
  PeerAsk ask{*next, std::nullopt};
  if (*next == Ask::have_asked || *next == Ask::block_asked) {
    ++p.asks_open;
    Duration timeout =
        *next == Ask::have_asked ? config_.want_have_timeout : config_.want_block_timeout;
    ask.timer = TimerKey{now + timeout, next_timer_seq_++};
    timers_.emplace(*ask.timer, TimerRef{cid, h});
  }
  if (*next == Ask::block_asked) {
    ++p.stats.want_blocks_in_flight;
    ++want_blocks_in_flight_;
    w.block_peer = h;
  }
  w.asks[h] = ask;
}

void Client::ask_have(const Cid& cid, Want& w, PeerHandle h, Instant now) {
  set_ask(cid, w, h, Ask::have_asked, now);
  queue_entry(h, WantEntry{cid, priority_of(w.seq), false, WantType::have, true});
}

void Client::ask_block(const Cid& cid, Want& w, PeerHandle h, Instant now) {
  set_ask(cid, w, h, Ask::block_asked, now);
  queue_entry(h, WantEntry{cid, priority_of(w.seq), false, WantType::block, true});
}

// Re-derives the want's place: does it need a want-block sent, or has nobody got it?
void Client::after_change(const Cid& cid, Want& w) {
  if (!w.live) return;
  bool any_has = false, any_open = w.block_peer.has_value();
  for (const auto& [h, ask] : w.asks) {
    any_has |= ask.state == Ask::has;
    any_open |= ask.state != Ask::lacks;
  }
  if (any_has && !w.block_peer)
    needs_block_.emplace(w.seq, cid);
  else
    needs_block_.erase(w.seq);
  if (any_open) {
    w.stalled_reported = false;
  } else if (!w.stalled_reported) {
    w.stalled_reported = true;
    events_.push_back(WantStalled{cid});
  }
}

// Satisfied (sender set) or cancelled: everyone else asked gets a cancel; the CID is remembered
// so late copies count as duplicates.
void Client::finish_want(const Cid& wanted, std::optional<PeerHandle> sender, Instant now) {
  const Cid cid = wanted;  // the caller's reference may point into the maps erased below
  auto it = wants_.find(cid);
  if (it == wants_.end()) return;
  Want& w = it->second;
  while (!w.asks.empty()) {
    PeerHandle h = w.asks.begin()->first;
    set_ask(cid, w, h, std::nullopt, now);
    if (h != sender) queue_entry(h, WantEntry{cid, 0, true, WantType::block, false});
  }
  pending_.erase(w.seq);
  live_.erase(w.seq);
  needs_block_.erase(w.seq);
  recent_.insert(cid);
  wants_.erase(it);
}

void Client::promote(Instant now) {
  while (live_.size() < config_.live_wants_max && !pending_.empty()) {
    auto node = pending_.extract(pending_.begin());
    const Cid cid = node.mapped();
    Want& w = wants_.at(cid);
    if (live_.empty()) next_rebroadcast_at_ = now + config_.rebroadcast_interval;
    w.live = true;
    live_.insert(std::move(node));
    // A peer that has been sending us this session's blocks probably has the next one too: it
    // gets the want-block straight away (DONT_HAVE or a timeout still fail over), saving the
    // want-have round trip; the others get want-haves so they can stand in.
    std::optional<PeerHandle> direct;
    if (want_blocks_in_flight_ < config_.want_blocks_in_flight_max) direct = choose_proven_peer();
    for (auto& [h, p] : peers_) {
      if (p.stats.misbehaved) continue;
      if (h == direct)
        ask_block(cid, w, h, now);
      else
        ask_have(cid, w, h, now);
    }
    after_change(cid, w);
  }
}

bool Client::can_take_block(const Peer& p) const {
  return !p.stats.misbehaved &&
         p.stats.want_blocks_in_flight < config_.peer_want_blocks_in_flight_max;
}

// Ranks want-block candidates: the least loaded first, then the better score; on a tie the one
// seen first (the longest connected) stays.
bool Client::better_block_peer(const Peer& candidate, const Peer* best) const {
  if (!best) return true;
  auto load = candidate.stats.want_blocks_in_flight, best_load = best->stats.want_blocks_in_flight;
  return load < best_load || (load == best_load && candidate.stats.score > best->stats.score);
}

// The best peer that delivered blocks recently.
std::optional<Client::PeerHandle> Client::choose_proven_peer() const {
  std::optional<PeerHandle> best;
  const Peer* best_peer = nullptr;
  for (const auto& [h, p] : peers_) {
    if (!p.proven || !can_take_block(p) || !better_block_peer(p, best_peer)) continue;
    best = h;
    best_peer = &p;
  }
  return best;
}

// The best peer that said HAVE.
std::optional<Client::PeerHandle> Client::choose_block_peer(const Want& w) const {
  std::optional<PeerHandle> best;
  const Peer* best_peer = nullptr;
  for (const auto& [h, ask] : w.asks) {
    if (ask.state != Ask::has) continue;
    const Peer& p = peers_.at(h);
    if (!can_take_block(p) || !better_block_peer(p, best_peer)) continue;
    best = h;
    best_peer = &p;
  }
  return best;
}

void Client::dispatch(Instant now) {
  if (want_blocks_in_flight_ >= config_.want_blocks_in_flight_max) return;
  if (std::none_of(peers_.begin(), peers_.end(),
                   [&](const auto& hp) { return can_take_block(hp.second); }))
    return;
  for (auto it = needs_block_.begin();
       it != needs_block_.end() && want_blocks_in_flight_ < config_.want_blocks_in_flight_max;) {
    Cid cid = it->second;
    Want& w = wants_.at(cid);
    std::optional<PeerHandle> peer = choose_block_peer(w);
    if (!peer) {
      ++it;
      continue;
    }
    it = needs_block_.erase(it);
    ask_block(cid, w, *peer, now);
  }
}

// Asks again, for wants nobody has, every peer that lacked it or never heard of it: they may
// have got it since, or forgotten our want.
void Client::rebroadcast(Instant now) {
  next_rebroadcast_at_ = now + config_.rebroadcast_interval;
  for (auto& [seq, cid] : live_) {
    Want& w = wants_.at(cid);
    if (w.block_peer) continue;
    bool any_has = std::any_of(w.asks.begin(), w.asks.end(),
                               [](const auto& ha) { return ha.second.state == Ask::has; });
    if (any_has) continue;
    for (auto& [h, p] : peers_) {
      if (p.stats.misbehaved) continue;
      auto ask = w.asks.find(h);
      if (ask == w.asks.end() || ask->second.state == Ask::lacks) ask_have(cid, w, h, now);
    }
    after_change(cid, w);
  }
}

void Client::expire_timers(Instant now) {
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    TimerRef ref = timers_.begin()->second;
    Want& w = wants_.at(ref.cid);
    Peer& p = peers_.at(ref.peer);
    bool was_block = w.asks.at(ref.peer).state == Ask::block_asked;
    ++p.stats.timeouts;
    ++stats_.timeouts;
    adjust_score(p, was_block ? -5 : -1);
    if (was_block) p.proven = false;
    set_ask(ref.cid, w, ref.peer, Ask::lacks, now);  // erases the timer
    after_change(ref.cid, w);
  }
}

}  // namespace agora::bitswap
