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

  // Fetches the DAG under `root` after dialing `peers`; progress goes to `mailbox` if any.
  rt::awaitable<Result<FetchProgress>> fetch_on_loop(
      Cid root, std::vector<Multiaddr> peers, uint64_t fetched_bytes_max,
      std::shared_ptr<Mailbox<FetchProgress>> mailbox);
  // fetch_on_loop from the caller's thread, without progress: fetch, then resolve the path.
  Result<Cid> fetch_and_resolve(std::string_view content_path,
                                const std::vector<std::string>& peers);
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
};

}  // namespace agora
