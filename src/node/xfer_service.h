// /agora/xfer/1.0.0 on the node (docs/xfer.md): behaviour::XferBehaviour driven by the node's
// BehaviourHost, serving files from the blockstore and fetching files from agora peers.
//
// Serving: a file's layout is built from local blocks once and cached (layouts_max entries,
// evicted oldest first); every leaf is read with its hash checked, and one that fails is
// quarantined (as bitswap's server does) and answered MISSING.
//
// Fetching: fetch_file asks every connected peer that speaks xfer (or whose protocols identify
// has not told yet) for the file, stores the skeleton and each verified leaf through a group
// commit, and tells the peers it serves what it has stored (HAVE updates), so peers downloading
// the same file trade leaves. Errc::unsupported when the root is not a file and Errc::not_found
// when no peer can serve it over xfer: the caller then uses bitswap, which also resumes from
// whatever xfer stored. A peer caught sending bad bytes is banned and recorded as an event.
//
// Finding more sources (set_discovery, wired to the DHT by the node): a fetch also looks the
// root's providers up when it starts and every sources_search_interval while it runs, and the
// providers found are dialled and asked once connected; a fetch that has stored the skeleton
// announces the root as provided here, so the peers fetching the same file find each other and
// trade leaves instead of all queueing behind whichever of them first found a seed.
#pragma once

#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <random>

#include "behaviour/xfer_behaviour.h"
#include "node/bitswap_service.h"
#include "node/content.h"
#include "node/file_output.h"
#include "node/identify_service.h"
#include "observe/events.h"
#include "observe/metrics.h"
#include "observe/spans.h"
#include "runtime/asio/behaviour_host.h"
#include "store/blockstore.h"

namespace agora {

struct XferServiceConfig {
  behaviour::XferConfig xfer;
  size_t layouts_max = 16;           // cached layouts of files served
  uint64_t commit_bytes = 16 << 20;  // leaves stored per group commit (what a kill -9 may lose)
  uint64_t sequential_commit_bytes = 2 << 20;  // for a fetch read as it arrives (cat)
  // A leaf waits at most this long before it is committed and announced to the peers downloading
  // the same file (HAVE): in a swarm of slow uploads 16 MiB takes seconds to fill. (100 ms made
  // no difference to the swarm benchmark, docs/benchmarks.md, and commits more often.)
  Duration commit_interval = std::chrono::milliseconds(250);
  // Connected xfer peers the download has no stream to (they answered that they lack the file,
  // e.g. their own get had not begun, or connected later) are asked again this often.
  Duration peers_retry_interval = std::chrono::seconds(2);
  // A fetch looks for providers (Discovery::find_providers) at its start and this often after.
  Duration sources_search_interval = std::chrono::seconds(30);
};

class XferService {
 public:
  XferService(rt::Swarm& swarm, rt::BehaviourHost& host, IdentifyService& identify,
              store::Blockstore& blocks, BitswapService* bitswap, XferServiceConfig config,
              observe::Registry& metrics, observe::EventRecorder& events);
  ~XferService();
  void start();
  // A download whose root a traced operation is fetching (SpanRecorder::context_for) has its
  // streams traced. Null: none is.
  void set_spans(observe::SpanRecorder* spans) { spans_ = spans; }
  // How a fetch finds more peers to fetch from and tells others it holds a file's root; either
  // may be empty (no DHT: only connected peers are asked; not announced). Called on the loop.
  struct Discovery {
    std::function<void(const Cid&)> find_providers;  // dials them; the fetch asks once connected
    std::function<void(const Cid&)> announce;        // the root and the skeleton are stored here
  };
  void set_discovery(Discovery discovery) { discovery_ = std::move(discovery); }

  // Where a fetch's file goes instead of the blockstore: called once the verified skeleton says
  // how big the file is (so nothing is created for a fetch xfer cannot serve).
  using OpenOutput = std::function<Result<FileOutput*>(uint64_t file_bytes)>;
  // Fetches the file under `root` from connected agora peers; see above. With `open_output`, the
  // file's bytes go straight into the FileOutput at their offsets (leaves already stored are
  // copied in) and only the skeleton is stored: each byte is written once. Without, the leaves
  // are stored.
  // Fails when nothing arrives for `stall_timeout`, with Errc::too_large when the file is larger
  // than `fetched_bytes_max` (0: no cap; checked against the verified skeleton before any leaf
  // is asked), and with Errc::cancelled when `cancel` is set (what arrived stays stored).
  rt::awaitable<Result<FetchProgress>> fetch_file(Cid root, Duration stall_timeout,
                                                  FetchProgressFn progress = {},
                                                  uint64_t fetched_bytes_max = 0,
                                                  CancelFlag cancel = {}, bool sequential = false,
                                                  OpenOutput open_output = {});
  const behaviour::XferStats& stats() const { return behaviour_.stats(); }
  // Connected peers to ask over xfer: those identify lists it for, and those not identified yet.
  std::vector<PeerId> xfer_peers() const;
  // A connected peer identify says does not speak xfer (Helia, kubo): bitswap is for it.
  bool other_peers_connected() const;
  // Waits until a peer to ask over xfer that is not in `known` is connected (a provider the DHT
  // found); false after `timeout`.
  rt::awaitable<bool> wait_for_new_peer(std::vector<PeerId> known, Duration timeout);

 private:
  struct Session;
  class LeafSink;
  class StoreLeaves : public behaviour::XferBlocks {
   public:
    explicit StoreLeaves(XferService& svc) : svc_(svc) {}
    Result<std::shared_ptr<const xfer::FileLayout>> layout(const Cid& root) override;
    std::optional<std::vector<bool>> holds(const xfer::FileLayout& layout) override;
    std::optional<Bytes> read_leaf(const Cid& cid) override;

   private:
    XferService& svc_;
  };

  void on_progress();
  // Into a progress report: who chokes us now, each peer's rate over the last second or so.
  void report_sources(behaviour::XferDownloadId id, Session& s, FetchProgress& p);
  // Every peers_retry_interval: the connected xfer peers the download has no stream to; every
  // sources_search_interval: a provider search.
  void ask_again(behaviour::XferDownloadId id, Session& s);
  void skeleton_arrived(Session& s, const behaviour::XferSkeleton& skeleton);
  void misbehaved(const PeerId& peer, const std::string& reason);
  // Into `out`: the skeleton's inline data and the leaves stored before the fetch began.
  rt::awaitable<Status> write_local(Session& s, FileOutput& out);

  rt::Swarm& swarm_;
  rt::BehaviourHost& host_;
  IdentifyService& identify_;
  store::Blockstore& blocks_;
  BitswapService* bitswap_;
  XferServiceConfig config_;
  observe::EventRecorder& events_;
  observe::SpanRecorder* spans_ = nullptr;
  Discovery discovery_;
  StoreLeaves store_leaves_;
  behaviour::XferBehaviour behaviour_;
  std::map<behaviour::XferDownloadId, Session*> sessions_;
  std::list<std::pair<Cid, std::shared_ptr<const xfer::FileLayout>>> layouts_;  // newest first
  struct Counters;
  std::unique_ptr<Counters> counters_;
  behaviour::XferStats counted_;
  std::minstd_rand rng_{std::random_device{}()};  // where rarest-first ties start
};

}  // namespace agora
