// Content routing over the DHT: provide what this node adds, and find providers of what it
// cannot get from the peers it is connected to.
//
//   - provide(root): the root CID ([dht] provide = "roots"), or every block of the DAG below it
//     ("all"; the DAG is walked from the local blockstore on a worker thread). Keys wait in a
//     bounded queue; provides_in_flight_max DHT provide queries run at once. The DHT core
//     republishes each key every 22 h.
//   - provide_root(root): the root only, for a file being fetched over xfer (its skeleton stored).
//   - find_providers(cid): called when bitswap reports a want no connected peer has, and by an
//     xfer fetch at its start and every 30 s (XferService::Discovery). Looks the
//     CID's providers up in the DHT and dials up to providers_dialed_max of them at once (a
//     provider record without addresses costs a FIND_NODE first); bitswap then asks them, and
//     spreads the blocks over every peer that has them. A CID is not searched again within
//     search_cooldown, and at most searches_in_flight_max searches run at once.
//
// Runs on the node's event-loop thread; call every method from that thread.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>

#include "codec/cid.h"
#include "node/kad_service.h"
#include "store/blockstore.h"

namespace agora {

struct ContentRoutingConfig {
  bool provide_all = false;  // false: roots only
  size_t provides_in_flight_max = 8;
  size_t provide_queue_max = 65536;  // keys waiting; past it new ones are dropped and counted
  size_t searches_in_flight_max = 4;
  Duration search_cooldown = std::chrono::seconds(10);  // bitswap asks again every 10 s
  size_t recent_searches_max = 1024;
  size_t providers_dialed_max = 5;
};

class ContentRouting {
 public:
  ContentRouting(KadService& dht, store::Blockstore* blocks, ContentRoutingConfig config,
                 observe::Registry& metrics, observe::EventRecorder& events);
  ~ContentRouting();
  ContentRouting(const ContentRouting&) = delete;
  ContentRouting& operator=(const ContentRouting&) = delete;

  void provide(const Cid& root);
  // The root alone, whatever [dht] provide says: a file being fetched, held only in part.
  void provide_root(const Cid& root) { enqueue({root}); }
  void find_providers(const Cid& cid);
  // Drops the queue; running queries end with the DHT. Waits for a DAG walk in progress.
  void stop();

  size_t provide_queue_size() const { return queue_.size(); }
  size_t provides_in_flight() const { return provides_in_flight_; }

 private:
  struct Metrics;
  void enqueue(std::vector<Cid> cids);
  void start_provides();
  rt::awaitable<void> provide_one(Bytes multihash, std::weak_ptr<int> alive);
  rt::awaitable<void> search(Cid cid, std::weak_ptr<int> alive);
  rt::awaitable<void> dial_provider(kad::PeerInfo provider, Cid cid, std::weak_ptr<int> alive);

  KadService& dht_;
  store::Blockstore* blocks_;
  ContentRoutingConfig config_;
  observe::EventRecorder& events_;
  std::unique_ptr<Metrics> metrics_;
  std::deque<Bytes> queue_;  // multihashes to provide
  std::set<Bytes> queued_;
  size_t provides_in_flight_ = 0;
  size_t searches_in_flight_ = 0;
  std::map<Cid, Instant> recent_searches_;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  asio::thread_pool walker_{1};  // DAG walks for provide = "all"; joined first on destruction
};

}  // namespace agora
