// Bitswap server core (the "decision engine"): decides what to send to whom, sans-I/O.
//
// Feed it every message a peer sends (on_message), peers leaving (on_peer_disconnected) and
// blocks we newly stored (on_block_added). It looks up what we have through BlockInfo and hands
// out SendTasks with poll_task(): the runtime loads the listed blocks, sends one message, and
// reports task_done(id) once the message is written, which frees the peer's in-flight budget.
//
// Answers (1.2.0): want-block -> the block, else DONT_HAVE when asked for; want-have -> HAVE, or
// the block itself when it is at most have_inline_block_bytes_max (as Helia does), else
// DONT_HAVE when asked for. Peers take turns (round robin); within a peer, higher priority first.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/time.h"
#include "codec/peer_id.h"
#include "proto/bitswap/ledger.h"
#include "proto/bitswap/message.h"
#include "proto/bitswap/peer_id_hash.h"

namespace agora::bitswap {

// What we have, asked synchronously from the local block store.
class BlockInfo {
 public:
  virtual ~BlockInfo() = default;
  virtual std::optional<size_t> block_size(const Cid& cid) = 0;  // nullopt: we lack it
};

struct ServerConfig {
  size_t peers_max = 1024;       // ledgers kept at once; more peers are refused
  size_t peer_wants_max = 1024;  // wantlist entries kept per peer (Helia and boxo: 1024)
  size_t have_inline_block_bytes_max = 1024;  // answer want-have with a block this small
  size_t task_block_bytes_max = 1024 * 1024;  // block bytes per task (one block may exceed it)
  size_t task_items_max = 256;                // blocks + presences per task
  // Handed out but not reported done. A peer over either limit waits for task_done.
  size_t peer_in_flight_bytes_max = 4 * 1024 * 1024;
  size_t peer_tasks_in_flight_max = 4;
};

// Cost charged per block or presence on top of the block bytes: CID, prefix, framing.
inline constexpr size_t kTaskItemCostBytes = 64;

struct SendTask {
  uint64_t id = 0;
  PeerId peer;
  std::vector<Cid> blocks;  // load and send as payload, under the CID the peer asked for
  std::vector<Presence> presences;
  size_t block_bytes = 0;  // sum of the blocks' sizes as BlockInfo reported them
  size_t cost_bytes = 0;   // charged to the peer until task_done(id)
};

struct ServerStats {
  uint64_t messages = 0;
  uint64_t wants_dropped = 0;  // a peer's wantlist was full
  uint64_t wants_evicted = 0;
  uint64_t peers_refused = 0;
  uint64_t tasks = 0;
  uint64_t blocks_planned = 0;
  uint64_t haves_planned = 0;
  uint64_t dont_haves_planned = 0;
};

class Server {
 public:
  Server(ServerConfig config, BlockInfo& blocks) : config_(config), blocks_(blocks) {}

  // Blocks in the message are not our business (the client core takes them). Errc::limit when
  // the peer would be one more than peers_max; the message is then ignored.
  Status on_message(const PeerId& peer, const Message& message, Instant now);
  void on_peer_disconnected(const PeerId& peer);
  void on_block_added(const Cid& cid);

  // The next peer's batch of answers, or nullopt when nobody can be served now.
  std::optional<SendTask> poll_task(Instant now);
  void task_done(uint64_t task_id);

  size_t peer_count() const { return peers_.size(); }
  const PeerLedger* ledger(const PeerId& peer) const;
  size_t in_flight_bytes(const PeerId& peer) const;
  const ServerStats& stats() const { return stats_; }
  const ServerConfig& config() const { return config_; }

 private:
  struct PeerState {
    explicit PeerState(size_t wants_max) : ledger(wants_max) {}
    PeerLedger ledger;
    size_t in_flight_bytes = 0;
    std::vector<uint64_t> tasks_in_flight;
    bool in_ring = false;
    Instant last_message_at{};
  };
  struct TaskRecord {
    PeerId peer;
    size_t cost_bytes;
  };

  bool can_send(const PeerState& state) const;
  void ring_add(const PeerId& peer, PeerState& state);
  SendTask build_task(const PeerId& peer, PeerState& state);

  ServerConfig config_;
  BlockInfo& blocks_;
  std::unordered_map<PeerId, PeerState, PeerIdHash> peers_;
  std::deque<PeerId> ring_;  // peers with queued wants that may be sendable, in turn order
  std::unordered_map<uint64_t, TaskRecord> tasks_;
  uint64_t next_task_id_ = 1;
  ServerStats stats_;
};

}  // namespace agora::bitswap
