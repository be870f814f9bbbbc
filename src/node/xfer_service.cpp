#include "node/xfer_service.h"

#include <algorithm>

namespace agora {

namespace {
constexpr Duration kCancelCheck = std::chrono::milliseconds(200);
constexpr Duration kProgressEvery = std::chrono::milliseconds(200);
// Per-peer rates in progress reports are measured over at least this long.
constexpr Duration kRateWindow = std::chrono::seconds(1);
bool is_set(const CancelFlag& cancel) { return cancel && cancel->load(); }
}  // namespace

struct XferService::Session {
  Session(asio::any_io_executor ex, Cid root) : wake(ex), root(std::move(root)) {}
  rt::Waiter wake;
  Cid root;
  uint64_t fetched_bytes_max = 0;
  std::shared_ptr<const xfer::FileLayout> layout;
  uint64_t leaves_local = 0, bytes_local = 0;
  std::vector<bool> have;  // leaves stored before the fetch
  std::deque<behaviour::XferLeaf> leaves;
  std::optional<Status> end;  // XferDone, XferFailed, or refused here (too large)
  // bytes_by_peer when the per-peer rates were last measured.
  Instant rates_at{};
  std::map<std::string, uint64_t> rates_bytes;
  Instant peers_asked{};                      // when ask_again last ran
  std::optional<Instant> providers_searched;  // never yet: at the first ask_again
};

// Where a fetch's verified leaves go: into the output file (its raw leaves then recorded as
// references into it) or, without one, into blocks/; committed in groups, each group then
// announced (HAVE) to the peers downloading the same file.
class XferService::LeafSink {
 public:
  LeafSink(XferService& svc, const Cid& root, uint64_t commit_bytes)
      : svc_(svc),
        root_(root),
        batch_(svc.blocks_.batch()),
        commit_bytes_(commit_bytes),
        last_commit_(rt::now()) {}

  void set_output(FileOutput* out) { out_ = out; }

  Status store(const behaviour::XferLeaf& leaf, const xfer::LeafSpan& span) {
    if (!out_) {
      AGORA_TRY(batch_.add_verified(span.cid, *leaf.block));
      uncommitted_.push_back(leaf.index);
      return {};
    }
    AGORA_TRY(out_->write_at(span.offset, leaf.data ? BytesView(*leaf.data) : *leaf.block));
    // A raw leaf is the file's bytes: the file holds it from now on (a dag-pb leaf wraps them,
    // so it is not kept).
    if (span.cid.codec() == kCodecRaw && span.cid.hash().code != kMhIdentity) {
      in_file_.push_back({span.cid.hash(), span.offset, span.size});
      in_file_bytes_ += span.size;
      uncommitted_.push_back(leaf.index);
    }
    return {};
  }

  // A group is full, or a leaf has waited commit_interval to be announced.
  bool commit_due() const {
    return batch_.pending_bytes() + in_file_bytes_ >= commit_bytes_ ||
           (!uncommitted_.empty() && rt::now() - last_commit_ >= svc_.config_.commit_interval);
  }
  // How long the fetch may wait for more leaves before a commit is due by time (at most `most`).
  Duration until_commit(Duration most) const {
    if (uncommitted_.empty()) return most;
    Duration left = last_commit_ + svc_.config_.commit_interval - rt::now();
    return std::clamp(left, Duration::zero(), most);
  }

  Status commit() {
    last_commit_ = rt::now();
    AGORA_TRY(batch_.commit());
    if (out_) AGORA_TRY(out_->record_refs(in_file_));
    in_file_.clear();
    in_file_bytes_ = 0;
    svc_.behaviour_.have_leaves(root_, uncommitted_);  // peers downloading it may ask us now
    uncommitted_.clear();
    svc_.host_.wake(svc_.behaviour_);
    return {};
  }

 private:
  XferService& svc_;
  Cid root_;
  store::Blockstore::Batch batch_;
  FileOutput* out_ = nullptr;
  const uint64_t commit_bytes_;
  std::vector<uint64_t> uncommitted_;              // leaf indices, announced at the commit
  std::vector<FileOutput::WrittenBlock> in_file_;  // written into out_, not yet recorded
  uint64_t in_file_bytes_ = 0;
  Instant last_commit_;
};

void XferService::ask_again(behaviour::XferDownloadId id, Session& s) {
  const bool search_due =
      !s.providers_searched || rt::now() - *s.providers_searched >= config_.sources_search_interval;
  if (discovery_.find_providers && search_due) {
    s.providers_searched = rt::now();
    discovery_.find_providers(s.root);
  }
  if (rt::now() - s.peers_asked < config_.peers_retry_interval) return;
  s.peers_asked = rt::now();
  for (const PeerId& peer : xfer_peers()) behaviour_.add_peer(id, peer, s.peers_asked);
  host_.wake(behaviour_);
}

void XferService::report_sources(behaviour::XferDownloadId id, Session& s, FetchProgress& p) {
  p.choked_by_peer.clear();
  for (const auto& [peer, choked] : behaviour_.sources(id))
    p.choked_by_peer[peer.to_string()] = choked;
  Instant now = rt::now();
  if (s.rates_at == Instant{}) {
    s.rates_at = now;
    return;
  }
  if (now - s.rates_at < kRateWindow) return;
  double seconds = std::chrono::duration<double>(now - s.rates_at).count();
  p.rate_by_peer.clear();
  for (const auto& [peer, bytes] : p.bytes_by_peer)
    p.rate_by_peer[peer] = uint64_t(double(bytes - s.rates_bytes[peer]) / seconds);
  s.rates_at = now;
  s.rates_bytes = p.bytes_by_peer;
}

struct XferService::Counters {
  explicit Counters(observe::Registry& r)
      : leaves_sent(r.counter("agora_xfer_leaves_sent_total", "xfer leaves sent to peers")),
        bytes_sent(r.counter("agora_xfer_leaf_bytes_sent_total", "Bytes of xfer leaves sent")),
        leaves_received(r.counter("agora_xfer_leaves_received_total",
                                  "xfer leaves received (verified; endgame copies included)")),
        bytes_received(
            r.counter("agora_xfer_leaf_bytes_received_total", "Bytes of xfer leaves received")),
        streams_refused(r.counter("agora_xfer_streams_refused_total",
                                  "xfer streams answered busy (over the stream limits)")),
        peers_misbehaved(r.counter("agora_xfer_peers_misbehaved_total",
                                   "Peers cut off for bad xfer frames or bytes")),
        seed_refusals(r.counter("agora_xfer_seed_refusals_total",
                                "WANTs a seed answered MISSING to send new leaves first")) {}
  observe::Counter& leaves_sent;
  observe::Counter& bytes_sent;
  observe::Counter& leaves_received;
  observe::Counter& bytes_received;
  observe::Counter& streams_refused;
  observe::Counter& peers_misbehaved;
  observe::Counter& seed_refusals;
};

XferService::XferService(rt::Swarm& swarm, rt::BehaviourHost& host, IdentifyService& identify,
                         store::Blockstore& blocks, BitswapService* bitswap,
                         XferServiceConfig config, observe::Registry& metrics,
                         observe::EventRecorder& events)
    : swarm_(swarm),
      host_(host),
      identify_(identify),
      blocks_(blocks),
      bitswap_(bitswap),
      config_(config),
      events_(events),
      store_leaves_(*this),
      behaviour_(config_.xfer, store_leaves_),
      counters_(std::make_unique<Counters>(metrics)) {}

XferService::~XferService() { host_.remove(behaviour_); }

void XferService::start() {
  host_.add(behaviour_, [this] { on_progress(); });
}

Result<std::shared_ptr<const xfer::FileLayout>> XferService::StoreLeaves::layout(const Cid& root) {
  auto& cache = svc_.layouts_;
  for (auto it = cache.begin(); it != cache.end(); ++it) {
    if (it->first != root) continue;
    cache.splice(cache.begin(), cache, it);
    return cache.front().second;
  }
  BlockstoreSource source(svc_.blocks_);
  AGORA_ASSIGN(xfer::FileLayout built, xfer::build_layout(source, root, svc_.config_.xfer.limits));
  auto shared = std::make_shared<const xfer::FileLayout>(std::move(built));
  cache.emplace_front(root, shared);
  if (cache.size() > svc_.config_.layouts_max) cache.pop_back();
  return shared;
}

std::optional<std::vector<bool>> XferService::StoreLeaves::holds(const xfer::FileLayout& layout) {
  std::vector<bool> held(layout.leaves.size());
  bool all = true;
  for (size_t i = 0; i < held.size(); ++i) {
    held[i] = svc_.blocks_.has(layout.leaves[i].cid);
    all = all && held[i];
  }
  if (all) return std::nullopt;
  return held;
}

// Re-hashed before it leaves, as bitswap's server does: a corrupt block is quarantined.
std::optional<Bytes> XferService::StoreLeaves::read_leaf(const Cid& cid) {
  auto block = svc_.blocks_.get_checked(cid);
  // A corrupt block file is quarantined; a broken reference is dropped (the file is the user's).
  if (block && block->corrupt && svc_.bitswap_) svc_.bitswap_->block_corrupt(cid, *block);
  if (!block || block->corrupt) return std::nullopt;
  return std::move(block->data);
}

std::vector<PeerId> XferService::xfer_peers() const {
  std::vector<PeerId> peers;
  for (const auto& conn : swarm_.connections()) {
    const PeerId& peer = conn->info().peer;
    if (std::find(peers.begin(), peers.end(), peer) != peers.end()) continue;
    // A peer identify has not answered for yet is asked too: a refused stream costs one round trip.
    const IdentifyInfo* info = identify_.peer_info(peer);
    if (info && std::find(info->protocols.begin(), info->protocols.end(),
                          behaviour::kXferProtocol) == info->protocols.end())
      continue;
    peers.push_back(peer);
  }
  return peers;
}

bool XferService::other_peers_connected() const {
  for (const auto& conn : swarm_.connections()) {
    const IdentifyInfo* info = identify_.peer_info(conn->info().peer);
    if (info && std::find(info->protocols.begin(), info->protocols.end(),
                          behaviour::kXferProtocol) == info->protocols.end())
      return true;
  }
  return false;
}

rt::awaitable<bool> XferService::wait_for_new_peer(std::vector<PeerId> known, Duration timeout) {
  asio::steady_timer timer(swarm_.executor());
  for (Instant until = rt::now() + timeout; rt::now() < until;) {
    for (const PeerId& peer : xfer_peers())
      if (std::find(known.begin(), known.end(), peer) == known.end()) co_return true;
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return false;
}

void XferService::on_progress() {
  while (auto e = behaviour_.poll_event()) {
    if (auto* bad = std::get_if<behaviour::XferMisbehaved>(&*e)) {
      misbehaved(bad->peer, bad->reason);
      continue;
    }
    behaviour::XferDownloadId id = std::visit(
        [](const auto& v) -> behaviour::XferDownloadId {
          if constexpr (requires { v.id; }) {
            return v.id;
          } else {
            return 0;
          }
        },
        *e);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;  // the fetch has ended
    Session& s = *it->second;
    if (auto* sk = std::get_if<behaviour::XferSkeleton>(&*e)) {
      skeleton_arrived(s, *sk);
    } else if (auto* leaf = std::get_if<behaviour::XferLeaf>(&*e)) {
      s.leaves.push_back(std::move(*leaf));
    } else if (std::get_if<behaviour::XferDone>(&*e)) {
      s.end = Status{};
    } else if (auto* failed = std::get_if<behaviour::XferFailed>(&*e)) {
      s.end = Status(failed->error);
    }
    s.wake.notify();
  }
  const behaviour::XferStats& now = behaviour_.stats();
  auto add = [](observe::Counter& c, uint64_t current, uint64_t& seen) {
    if (current > seen) c.add(current - seen);
    seen = current;
  };
  add(counters_->leaves_sent, now.leaves_sent, counted_.leaves_sent);
  add(counters_->bytes_sent, now.leaf_bytes_sent, counted_.leaf_bytes_sent);
  add(counters_->leaves_received, now.leaves_received, counted_.leaves_received);
  add(counters_->bytes_received, now.leaf_bytes_received, counted_.leaf_bytes_received);
  add(counters_->streams_refused, now.streams_refused, counted_.streams_refused);
  add(counters_->peers_misbehaved, now.peers_misbehaved, counted_.peers_misbehaved);
  add(counters_->seed_refusals, now.seed_refusals, counted_.seed_refusals);
}

// The skeleton is verified: store it, tell the behaviour which leaves are here already, go.
void XferService::skeleton_arrived(Session& s, const behaviour::XferSkeleton& skeleton) {
  const xfer::FileLayout& layout = *skeleton.layout;
  if (s.fetched_bytes_max > 0 && layout.file_bytes > s.fetched_bytes_max) {
    behaviour_.cancel(skeleton.id);
    s.end = make_error(Errc::too_large, "the file is " + std::to_string(layout.file_bytes) +
                                            " bytes, over the " +
                                            std::to_string(s.fetched_bytes_max) + " allowed");
    return;
  }
  auto batch = blocks_.batch();
  for (const xfer::SkeletonNode& node : layout.nodes) {
    if (Status st = batch.add_verified(node.cid, node.block); !st) {
      behaviour_.cancel(skeleton.id);
      s.end = st;
      return;
    }
  }
  if (Status st = batch.commit(); !st) {
    behaviour_.cancel(skeleton.id);
    s.end = st;
    return;
  }
  if (discovery_.announce) discovery_.announce(layout.root);
  std::vector<bool> have(layout.leaves.size());
  for (size_t i = 0; i < have.size(); ++i) {
    have[i] = blocks_.has(layout.leaves[i].cid);
    if (have[i]) {
      ++s.leaves_local;
      s.bytes_local += layout.leaves[i].size;
    }
  }
  s.layout = skeleton.layout;
  s.have = have;
  uint64_t start_leaf = have.empty() ? 0 : rng_() % have.size();
  behaviour_.start(skeleton.id, std::move(have), start_leaf, rt::now());
  host_.wake(behaviour_);
}

void XferService::misbehaved(const PeerId& peer, const std::string& reason) {
  observe::Event e;
  e.type = observe::EventType::peer_misbehaved;
  e.peer = peer.to_string();
  e.protocol = std::string(behaviour::kXferProtocol);
  e.reason = "xfer";
  e.detail = reason;
  events_.record(std::move(e));
}

rt::awaitable<Status> XferService::write_local(Session& s, FileOutput& out) {
  for (const xfer::InlineData& d : s.layout->inline_data)
    AGORA_CO_TRY(out.write_at(d.offset, d.data));
  for (size_t i = 0; i < s.have.size(); ++i) {
    if (!s.have[i]) continue;
    const xfer::LeafSpan& leaf = s.layout->leaves[i];
    auto block = blocks_.get_checked(leaf.cid);
    if (!block) co_return block.error();
    if (block->corrupt)
      co_return make_error(Errc::io, "stored block " + leaf.cid.to_string() + " is corrupt");
    BytesView data = block->data;
    std::optional<UnixfsData> fs;
    if (leaf.cid.codec() == kCodecDagPb) {
      auto pb = decode_dag_pb(block->data);
      if (pb && pb->data) {
        auto decoded = decode_unixfs_data(*pb->data);
        if (decoded) fs = std::move(*decoded);
      }
      if (!fs || fs->data.size() != leaf.size)
        co_return make_error(Errc::io, "stored leaf " + leaf.cid.to_string() + " is no file data");
      data = fs->data;
    }
    AGORA_CO_TRY(out.write_at(leaf.offset, data));
    // A file mostly stored already is copied here: let the loop serve everyone else meanwhile.
    if (i % 16 == 15) co_await asio::post(swarm_.executor(), asio::use_awaitable);
  }
  co_return Status{};
}

rt::awaitable<Result<FetchProgress>> XferService::fetch_file(Cid root, Duration stall_timeout,
                                                             FetchProgressFn progress,
                                                             uint64_t fetched_bytes_max,
                                                             CancelFlag cancel, bool sequential,
                                                             OpenOutput open_output) {
  std::vector<PeerId> peers = xfer_peers();
  std::optional<host::StreamTrace> trace;
  if (spans_)
    if (auto context = spans_->context_for(encode_multihash(root.hash())))
      trace = host::StreamTrace{*context, root.to_string()};
  auto id = behaviour_.download(root, peers, sequential, rt::now(), trace);
  if (!id) co_return id.error();
  Session s(swarm_.executor(), root);
  s.fetched_bytes_max = fetched_bytes_max;
  sessions_[*id] = &s;
  struct Cleanup {
    XferService& svc;
    behaviour::XferDownloadId id;
    Session& s;
    ~Cleanup() {
      svc.sessions_.erase(id);
      if (!s.end) svc.behaviour_.cancel(id);
      svc.host_.wake(svc.behaviour_);
    }
  } cleanup{*this, *id, s};
  host_.wake(behaviour_);

  FetchProgress p;
  auto gc_guard = blocks_.hold_off_gc();
  // Read in order while it arrives (cat): smaller commits, so the reader waits on less.
  LeafSink sink(*this, root, sequential ? config_.sequential_commit_bytes : config_.commit_bytes);
  s.peers_asked = rt::now();  // the connected peers were asked just now; providers not yet
  Instant last_progress = rt::now(), last_report{};
  bool local_written = false;
  while (true) {
    while (s.leaves.empty() && !s.end) {
      if (is_set(cancel)) break;
      if (sink.commit_due()) AGORA_CO_TRY(sink.commit());
      ask_again(*id, s);
      Duration left = stall_timeout - (rt::now() - last_progress);
      if (left <= Duration::zero())
        co_return make_error(Errc::timeout, "no xfer leaf arrived for " +
                                                std::to_string(to_ms(stall_timeout) / 1000) +
                                                " s from " + std::to_string(peers.size()) +
                                                " peers");
      // Wake for a commit due by time too: a leaf is announced when due, not at the next leaf.
      const Duration wait = sink.until_commit(std::min(left, kCancelCheck));
      co_await s.wake.wait_for(wait);
    }
    if (is_set(cancel)) {
      AGORA_CO_TRY(sink.commit());
      co_return make_error(Errc::cancelled, "cancelled after " + std::to_string(p.blocks_fetched) +
                                                " leaves fetched (kept for a resume)");
    }
    if (open_output && s.layout && !local_written) {
      local_written = true;
      auto opened = open_output(s.layout->file_bytes);
      if (!opened) co_return opened.error();
      sink.set_output(*opened);
      AGORA_CO_TRY(co_await write_local(s, **opened));
    }
    while (!s.leaves.empty()) {
      behaviour::XferLeaf leaf = std::move(s.leaves.front());
      s.leaves.pop_front();
      AGORA_CO_TRY(sink.store(leaf, s.layout->leaves[leaf.index]));
      ++p.blocks_fetched;
      p.bytes_fetched += leaf.block->size();
      ++p.blocks_by_peer[leaf.from.to_string()];
      p.bytes_by_peer[leaf.from.to_string()] += leaf.block->size();
      last_progress = rt::now();
      if (sink.commit_due()) AGORA_CO_TRY(sink.commit());
    }
    p.blocks_local = s.leaves_local;
    p.bytes_local = s.bytes_local;
    if (s.end) break;
    ask_again(*id, s);
    if (progress && rt::now() - last_report > kProgressEvery) {
      last_report = rt::now();
      report_sources(*id, s, p);
      progress(p);
    }
  }
  AGORA_CO_TRY(sink.commit());  // what arrived is kept, also when the download failed
  if (!*s.end) co_return s.end->error();
  p.choked_by_peer.clear();  // the totals stay; the live state is over
  p.rate_by_peer.clear();
  if (progress) progress(p);
  co_return p;
}

}  // namespace agora
