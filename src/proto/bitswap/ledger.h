// What one remote peer wants from us: its wantlist as the bitswap server keeps it.
//
// A want is either queued (it needs an answer: a block, HAVE or DONT_HAVE) or waiting (we lacked
// the block when we looked; it stays so that on_block_added can serve it later, as boxo and Helia
// do). Answered wants (block or HAVE sent) leave the ledger; asking again asks anew.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "codec/cid.h"
#include "proto/bitswap/message.h"

namespace agora::bitswap {

struct LedgerWant {
  WantType type = WantType::block;
  int32_t priority = 0;
  bool send_dont_have = false;
  bool dont_have_sent = false;  // told once per request; a re-sent want is answered again
  bool queued = false;          // false: waiting for us to get the block
  uint64_t seq = 0;             // arrival order, for FIFO among equal priorities and eviction
};

struct LedgerApplyResult {
  size_t wants_added = 0;
  size_t wants_dropped = 0;  // over wants_max with nothing to evict
  size_t wants_evicted = 0;  // waiting wants pushed out to make room
};

class PeerLedger {
 public:
  explicit PeerLedger(size_t wants_max) : wants_max_(wants_max) {}

  // A full wantlist replaces everything; then cancels remove and wants add or update. A want
  // never downgrades from block to have. Over wants_max the oldest waiting want is evicted; when
  // every want is queued the new one is dropped.
  LedgerApplyResult apply(const Message& message);

  bool has_queued() const { return !queue_.empty(); }
  // The queued want to answer next: highest priority, then oldest.
  std::optional<Cid> peek_queued() const;
  const LedgerWant* find(const Cid& cid) const;
  void erase(const Cid& cid);  // answered with a block or HAVE, or cancelled
  // We lack the block: keep the want until the block arrives. Returns true when a DONT_HAVE is
  // owed (the peer asked for one and has not had it for this request).
  bool mark_waiting(const Cid& cid);
  // The block arrived: a waiting want for it is queued again. True when it was waiting.
  bool requeue_if_waiting(const Cid& cid);

  size_t size() const { return wants_.size(); }
  size_t queued_count() const { return queue_.size(); }

 private:
  using QueueKey = std::pair<int64_t, uint64_t>;  // (-priority, seq): begin() answers first
  void enqueue(const Cid& cid, LedgerWant& want);
  void dequeue(LedgerWant& want);
  void add(const WantEntry& entry, LedgerApplyResult& result);
  bool evict_oldest_waiting();

  size_t wants_max_;
  uint64_t next_seq_ = 0;
  std::unordered_map<Cid, LedgerWant, CidHash> wants_;
  std::map<QueueKey, Cid> queue_;
  std::map<uint64_t, Cid> waiting_;  // by seq, oldest first
};

}  // namespace agora::bitswap
