// /ipfs/bitswap/1.2.0 on the node: drives the sans-I/O client and server cores over streams.
//
// Each peer gets one outbound stream that carries our messages (wantlists, blocks, presences);
// its messages arrive on streams it opens. Received blocks reach the fetch sessions that wait for
// them; the server answers from the blockstore. A peer that sends malformed messages, corrupt
// blocks or floods of unsolicited data is disconnected and banned for a while, and the event is
// recorded and counted. Every block is re-hashed before it is sent (SHA-256, ~1.5-2 GB/s on one
// core, a small cost next to the network); one that fails is quarantined (<repo>/quarantine),
// counted (agora_blocks_corrupt_total), recorded (block_quarantined) and answered DONT_HAVE.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <unordered_map>

#include "node/dag_walk.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "proto/bitswap/client.h"
#include "proto/bitswap/server.h"
#include "runtime/asio/swarm.h"
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
};
using FetchProgressFn = std::function<void(const FetchProgress&)>;

class BitswapService {
 public:
  BitswapService(rt::Swarm& swarm, store::Blockstore& blocks, BitswapServiceConfig config,
                 observe::Registry& metrics, observe::EventRecorder& events);
  ~BitswapService();
  void start();
  void stop();

  // Fetches every block of the DAG under `root` that is not stored yet, from connected peers,
  // verifying each, and stores them. Fails when nothing arrives for `stall_timeout`, and with
  // Errc::too_large once more than `fetched_bytes_max` came over the network (0: no cap), so a
  // DAG bigger than the caller will accept stops filling the repo.
  rt::awaitable<Result<FetchProgress>> fetch_dag(Cid root, Duration stall_timeout,
                                                 FetchProgressFn progress = {},
                                                 uint64_t fetched_bytes_max = 0);
  // A block was stored locally (by add or block put): peers waiting for it get it.
  void block_added(const Cid& cid);
  // Called when no connected peer has a wanted block (bitswap::WantStalled), so the node can
  // look for providers (the DHT) and connect to them; new peers are asked at once.
  void on_want_stalled(std::function<void(const Cid&)> fn) { on_want_stalled_ = std::move(fn); }

  // A stored block failed its hash check: moved to <repo>/quarantine, counted
  // (agora_blocks_corrupt_total) and recorded (block_quarantined). On the node's loop.
  void quarantine(const Cid& cid);

  const bitswap::ClientStats& client_stats() const { return client_.stats(); }
  const bitswap::ServerStats& server_stats() const { return server_.stats(); }

 private:
  struct Peer;
  struct Session;
  class StoreInfo : public bitswap::BlockInfo {
   public:
    explicit StoreInfo(store::Blockstore& b) : blocks_(b) {}
    std::optional<size_t> block_size(const Cid& cid) override;

   private:
    store::Blockstore& blocks_;
  };

  rt::awaitable<void> serve_inbound(std::shared_ptr<rt::Stream> stream);
  rt::awaitable<void> write_loop(PeerId peer, std::shared_ptr<Peer> state);
  rt::awaitable<void> timer_loop();
  void peer_connected(const PeerId& peer);
  void peer_gone(const PeerId& peer);
  void on_message(const PeerId& peer, bitswap::Message message);
  void send(const PeerId& peer, const bitswap::Message& message, uint64_t task_id = 0);
  // Drains the cores' outputs: messages to send, events, server tasks. Runs after every input.
  void pump();
  void deliver(bitswap::BlockReceived block);
  void misbehaved(const PeerId& peer, const std::string& reason);
  // fetch_dag's work; its walk is gone when it returns.
  rt::awaitable<Result<FetchProgress>> walk_and_fetch(Cid root, Duration stall_timeout,
                                                      FetchProgressFn progress,
                                                      uint64_t fetched_bytes_max);

  void run_task(bitswap::SendTask task);

  rt::Swarm& swarm_;
  store::Blockstore& blocks_;
  BitswapServiceConfig config_;
  observe::EventRecorder& events_;
  StoreInfo store_info_;
  bitswap::Client client_;
  bitswap::Server server_;
  std::unordered_map<PeerId, std::shared_ptr<Peer>, bitswap::PeerIdHash> peers_;
  std::unordered_map<Cid, std::vector<Session*>, CidHash> waiting_;
  rt::Waiter timer_wake_;
  std::function<void(const Cid&)> on_want_stalled_;
  bool pumping_ = false;
  bool stopped_ = false;
  struct Counters;
  std::unique_ptr<Counters> counters_;
  std::minstd_rand shuffle_rng_{std::random_device{}()};  // fetch order; not security relevant
};

}  // namespace agora
