#include "proto/bitswap/ledger.h"

namespace agora::bitswap {

LedgerApplyResult PeerLedger::apply(const Message& message) {
  LedgerApplyResult result;
  if (message.full_wantlist) {
    wants_.clear();
    queue_.clear();
    waiting_.clear();
  }
  for (const WantEntry& entry : message.wantlist) {
    if (entry.cancel)
      erase(entry.cid);
    else
      add(entry, result);
  }
  return result;
}

void PeerLedger::add(const WantEntry& entry, LedgerApplyResult& result) {
  auto it = wants_.find(entry.cid);
  if (it != wants_.end()) {
    LedgerWant& want = it->second;
    dequeue(want);
    if (entry.type == WantType::block) want.type = WantType::block;
    want.priority = entry.priority;
    want.send_dont_have = entry.send_dont_have;
    want.dont_have_sent = false;  // asked again: answer again
    enqueue(it->first, want);
    return;
  }
  if (wants_.size() >= wants_max_) {
    if (!evict_oldest_waiting()) {
      ++result.wants_dropped;
      return;
    }
    ++result.wants_evicted;
  }
  LedgerWant want;
  want.type = entry.type;
  want.priority = entry.priority;
  want.send_dont_have = entry.send_dont_have;
  want.seq = next_seq_++;
  auto [inserted, ok] = wants_.emplace(entry.cid, want);
  enqueue(inserted->first, inserted->second);
  ++result.wants_added;
}

bool PeerLedger::evict_oldest_waiting() {
  if (waiting_.empty()) return false;
  Cid oldest = waiting_.begin()->second;
  erase(oldest);
  return true;
}

std::optional<Cid> PeerLedger::peek_queued() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->second;
}

const LedgerWant* PeerLedger::find(const Cid& cid) const {
  auto it = wants_.find(cid);
  return it == wants_.end() ? nullptr : &it->second;
}

void PeerLedger::erase(const Cid& cid) {
  auto it = wants_.find(cid);
  if (it == wants_.end()) return;
  dequeue(it->second);
  wants_.erase(it);
}

bool PeerLedger::mark_waiting(const Cid& cid) {
  auto it = wants_.find(cid);
  if (it == wants_.end()) return false;
  LedgerWant& want = it->second;
  dequeue(want);
  want.queued = false;
  waiting_.emplace(want.seq, it->first);
  bool owed = want.send_dont_have && !want.dont_have_sent;
  want.dont_have_sent = true;
  return owed;
}

bool PeerLedger::requeue_if_waiting(const Cid& cid) {
  auto it = wants_.find(cid);
  if (it == wants_.end() || it->second.queued) return false;
  dequeue(it->second);
  enqueue(it->first, it->second);
  return true;
}

void PeerLedger::enqueue(const Cid& cid, LedgerWant& want) {
  want.queued = true;
  queue_.emplace(QueueKey{-int64_t(want.priority), want.seq}, cid);
}

// Removes the want from whichever index holds it (queue or waiting list).
void PeerLedger::dequeue(LedgerWant& want) {
  if (want.queued)
    queue_.erase(QueueKey{-int64_t(want.priority), want.seq});
  else
    waiting_.erase(want.seq);
}

}  // namespace agora::bitswap
