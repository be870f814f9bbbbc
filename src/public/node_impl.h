// agora::Node's insides (include/agora/node.h), shared by the files that implement its
// operations: node.cpp (opening, peers, observing), node_content.cpp, node_dht.cpp. The internal
// node runs on `io`, driven by one thread (the node's own, or the caller's in run_loop()); the
// blockstore and pins (Content) are safe to use from the caller's thread.
#pragma once

#include <atomic>
#include <thread>

#include "agora/node.h"
#include "node/content.h"
#include "node/node.h"
#include "public/loop_bridge.h"
#include "public/operations.h"
#include "store/repo.h"
#include "store/repo_lock.h"

namespace agora {

// How long a content fetch waits for any block to arrive before it gives up.
inline constexpr Duration kFetchStallTimeout = std::chrono::seconds(30);
// Reports waiting for a slow consumer: progress totals and lookup steps (bridge mailboxes).
inline constexpr size_t kProgressItemsMax = 16;
inline constexpr size_t kQueryStepsMax = 4096;
// How long a read of a corrupt block waits for the loop to quarantine it before answering.
inline constexpr Duration kQuarantineWait = std::chrono::seconds(10);

class Node::Impl {
 public:
  Impl(NodeOptions options, store::Repo repo, store::RepoLock lock,
       std::unique_ptr<Content> content);
  ~Impl();

  Status start();
  void stop_networking();
  void run_loop();
  void stop_loop();

  // --- Fetching only what an operation needs (node_fetch.cpp). Each runs on the caller's thread
  // and waits for the loop; each ends with Errc::cancelled once `cancel` is set.
  // Dials each of `peers` (multiaddr text): a dead one fails the operation, saying which.
  Status connect_peers(const std::vector<std::string>& peers);
  // Fetches the blocks (not what they link to) that are not stored yet; what came over the network
  // is added to `tally` when given.
  Status fetch_blocks(std::vector<Cid> blocks, const CancelToken& cancel,
                      FetchProgress* tally = nullptr);
  // Runs `read` over stored blocks; each time it stops at a missing block, fetches that one block
  // and runs `read` again, so a path, a stat or a listing costs the blocks it reads.
  template <class T>
  Result<T> with_fetching(const std::function<Result<T>(unixfs::BlockSource&)>& read,
                          const CancelToken& cancel, FetchProgress* tally = nullptr);
  Result<Cid> resolve_fetching(const Cid& root, std::string_view path, const CancelToken& cancel,
                               FetchProgress* tally = nullptr);
  // A content path resolved with the blocks on the way fetched (connect_peers first).
  Result<Cid> resolve_content_path(std::string_view content_path,
                                   const std::vector<std::string>& peers,
                                   const CancelToken& cancel);
  // The DAG under `root`, into the blockstore. Progress reaches `progress` on the caller's thread
  // (also every quarter second without news, as a heartbeat); nullptr: none.
  Result<FetchProgress> fetch_dag(const Cid& root, uint64_t fetched_bytes_max,
                                  const CancelToken& cancel,
                                  const std::function<void(const FetchProgress&)>& progress);
  // A file straight into `dest` over xfer, each byte written once (node/file_output.h): the
  // progress as for fetch_dag. nullopt when xfer cannot serve it (no agora peer has it, not a
  // file, the peers left): the caller fetches and exports as usual; nothing is left at `dest`.
  Result<std::optional<FetchProgress>> fetch_file_to(
      const Cid& root, const std::filesystem::path& dest, uint64_t size_bytes,
      const unixfs::ExportLimits& limits, const CancelToken& cancel,
      const std::function<void(const FetchProgress&)>& progress);
  // A multiaddr, or a peer id (peer store, else DHT): the connection to it (node.cpp).
  Result<std::shared_ptr<rt::Connection>> connect_target(std::string_view target);
  // The addresses a DHT lookup finds for `peer` (node_dht.cpp).
  Result<std::vector<Multiaddr>> find_peer_addrs(const PeerId& peer);
  // The DHT hook for content added here ([dht] provide), posted to the loop.
  void announce(const Cid& root);

  NodeOptions options_;
  store::Repo repo_;
  store::RepoLock lock_;
  std::unique_ptr<Content> content_;
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<node::Node> node_;  // after io_: destroyed before the loop's handlers
  std::thread loop_;                  // with own_loop_thread
  std::atomic<bool> loop_running_ = false;
  StartReport report_;
  ApiSettings api_;
  bool networking_stopped_ = false;
  OperationTable ops_;
};

}  // namespace agora
