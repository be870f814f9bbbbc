// /ipfs/bitswap/1.2.0 on the node: behaviour::BitswapBehaviour (the client and server cores over
// streams, sans-I/O; see behaviour/bitswap_behaviour.h) driven by the node's BehaviourHost. This
// adapter adds what needs the node: the blockstore the server answers from, the DAG fetches that
// received blocks reach, metrics and events.
//
// A peer that sends malformed messages, corrupt blocks or floods of unsolicited data is
// disconnected and banned for a while, and the event is recorded and counted. Every block is
// re-hashed before it is sent (SHA-256, ~1.5-2 GB/s on one core, a small cost next to the
// network); one that fails is quarantined (<repo>/quarantine), counted
// (agora_blocks_corrupt_total), recorded (block_quarantined) and answered DONT_HAVE. A block read
// through a file reference (add --nocopy) whose file changed is never quarantined (the file is
// the user's): its reference is dropped, counted (agora_block_refs_broken_total), recorded
// (block_ref_broken) and answered DONT_HAVE.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <unordered_map>

#include "behaviour/bitswap_behaviour.h"
#include "node/bitswap_spans.h"
#include "node/dag_walk.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "runtime/asio/behaviour_host.h"
#include "store/blockstore.h"

namespace agora {

struct BitswapServiceConfig {
  bitswap::ClientConfig client;
  bitswap::ServerConfig server;
  bitswap::MessageLimits limits;
  size_t inbound_streams_per_peer_max = 4;
  size_t peer_send_queue_bytes_max = 32 << 20;  // encoded messages waiting for one peer's stream
  // A peer cut off for bad data may not reconnect for this long.
  Duration misbehaviour_ban = std::chrono::minutes(10);
  DagWalkLimits walk;
};

struct FetchProgress {
  uint64_t blocks_fetched = 0;  // over the network
  uint64_t blocks_local = 0;    // already stored (a resumed fetch)
  uint64_t bytes_fetched = 0;
  uint64_t bytes_local = 0;
  size_t blocks_in_flight = 0;
  std::map<std::string, uint64_t> blocks_by_peer;  // peer id text -> blocks it sent us
  std::map<std::string, uint64_t> bytes_by_peer;   // peer id text -> bytes of those blocks
  // xfer only: every peer the download has a stream to -> whether it chokes us now, and bytes
  // per second from each over the last second or so.
  std::map<std::string, bool> choked_by_peer;
  std::map<std::string, uint64_t> rate_by_peer;
};
using FetchProgressFn = std::function<void(const FetchProgress&)>;
// Set (from any thread) to stop a fetch: it ends with Errc::cancelled at its next step (within
// kCancelCheck while it waits), keeping the blocks that arrived for a later resume.
using CancelFlag = std::shared_ptr<const std::atomic<bool>>;

class BitswapService {
 public:
  BitswapService(rt::Swarm& swarm, rt::BehaviourHost& host, store::Blockstore& blocks,
                 BitswapServiceConfig config, observe::Registry& metrics,
                 observe::EventRecorder& events);
  ~BitswapService();
  void start();
  void stop();

  // Fetches every block of the DAG under `root` that is not stored yet, from connected peers,
  // verifying each, and stores them. Fails when nothing arrives for `stall_timeout`, and with
  // Errc::too_large once more than `fetched_bytes_max` came over the network (0: no cap), so a
  // DAG bigger than the caller will accept stops filling the repo.
  rt::awaitable<Result<FetchProgress>> fetch_dag(Cid root, Duration stall_timeout,
                                                 FetchProgressFn progress = {},
                                                 uint64_t fetched_bytes_max = 0,
                                                 CancelFlag cancel = {});
  // These blocks only (not what they link to), the ones not stored yet, as fetch_dag fetches.
  rt::awaitable<Result<FetchProgress>> fetch_blocks(std::vector<Cid> blocks, Duration stall_timeout,
                                                    CancelFlag cancel = {});
  // A block was stored locally (by add or block put): peers waiting for it get it.
  void block_added(const Cid& cid);
  // Called when no connected peer has a wanted block (bitswap::WantStalled), so the node can
  // look for providers (the DHT) and connect to them; new peers are asked at once.
  void on_want_stalled(std::function<void(const Cid&)> fn) { on_want_stalled_ = std::move(fn); }

  // A stored block failed its hash check: moved to <repo>/quarantine, counted
  // (agora_blocks_corrupt_total) and recorded (block_quarantined). On the node's loop.
  void quarantine(const Cid& cid);
  // A block read with get_checked() was corrupt: quarantine() for a block file; for a file
  // reference, drops the reference (never touching the file), counts and records it. On the
  // node's loop.
  void block_corrupt(const Cid& cid, const store::Blockstore::CheckedBlock& block);

  // Traced fetches record a span per peer that sent blocks (node/bitswap_spans.h).
  void set_spans(observe::SpanRecorder* spans) { spans_ = spans; }

  const bitswap::ClientStats& client_stats() const { return behaviour_.client().stats(); }
  const bitswap::ServerStats& server_stats() const { return behaviour_.server().stats(); }

 private:
  struct Session;
  // The server's blocks: sizes and checked reads from the blockstore; a corrupt block is
  // quarantined.
  class StoreBlocks : public behaviour::BitswapBlocks {
   public:
    explicit StoreBlocks(BitswapService& svc) : svc_(svc) {}
    std::optional<size_t> block_size(const Cid& cid) override;
    std::optional<Bytes> read_checked(const Cid& cid) override;

   private:
    BitswapService& svc_;
  };

  // After a call into the cores: the behaviour takes what they queued, the runtime carries it out.
  void pump();
  // What the behaviour reported: blocks for the fetches, stalls, misbehaving peers, counts.
  void on_progress();
  void deliver(bitswap::BlockReceived block);
  void misbehaved(const PeerId& peer, const std::string& reason);
  // fetch_dag's work; its walk is gone when it returns.
  // `what` names the fetch in errors.
  rt::awaitable<Result<FetchProgress>> walk_and_fetch(DagWalk walk, std::string what,
                                                      Duration stall_timeout,
                                                      FetchProgressFn progress,
                                                      uint64_t fetched_bytes_max, CancelFlag cancel,
                                                      BitswapFetchSpans* traced);

  rt::Swarm& swarm_;
  rt::BehaviourHost& host_;
  store::Blockstore& blocks_;
  BitswapServiceConfig config_;
  observe::EventRecorder& events_;
  StoreBlocks store_blocks_;
  behaviour::BitswapBehaviour behaviour_;
  bitswap::Client& client_;  // behaviour_'s
  std::unordered_map<Cid, std::vector<Session*>, CidHash> waiting_;
  std::function<void(const Cid&)> on_want_stalled_;
  observe::SpanRecorder* spans_ = nullptr;
  bool stopped_ = false;
  struct Counters;
  std::unique_ptr<Counters> counters_;
  behaviour::BitswapBehaviourStats counted_;  // the behaviour's stats already in the counters
  std::minstd_rand shuffle_rng_{std::random_device{}()};  // fetch order; not security relevant
};

}  // namespace agora
