#include "node/bitswap_service.h"

#include <malloc.h>

#include <algorithm>

namespace agora {

using namespace bitswap;

namespace {
// Commit often enough that an interrupted fetch keeps most of what arrived (resume).
constexpr uint64_t kFetchCommitBytes = 16 << 20;
// How often a waiting fetch looks at its cancel flag.
constexpr Duration kCancelCheck = std::chrono::milliseconds(200);
bool is_set(const CancelFlag& cancel) { return cancel && cancel->load(); }
}  // namespace

struct BitswapService::Session {
  explicit Session(asio::any_io_executor ex) : wake(ex) {}
  std::deque<BlockReceived> arrived;
  rt::Waiter wake;
};

struct BitswapService::Counters {
  explicit Counters(observe::Registry& r)
      : blocks_received(r.counter("agora_bitswap_blocks_received_total",
                                  "Blocks received that we wanted (verified)")),
        bytes_received(r.counter("agora_bitswap_block_bytes_received_total",
                                 "Bytes of wanted blocks received")),
        blocks_sent(r.counter("agora_bitswap_blocks_sent_total", "Blocks sent to peers")),
        bytes_sent(r.counter("agora_bitswap_block_bytes_sent_total", "Bytes of blocks sent")),
        messages_received(
            r.counter("agora_bitswap_messages_received_total", "Bitswap messages received")),
        messages_malformed(r.counter("agora_bitswap_messages_malformed_total",
                                     "Bitswap messages refused as malformed or over limits")),
        messages_dropped(r.counter("agora_bitswap_messages_dropped_total",
                                   "Outbound messages dropped: peer gone or send queue full")),
        peers_misbehaved(r.counter("agora_bitswap_peers_misbehaved_total",
                                   "Peers cut off for corrupt blocks, floods or bad messages")),
        blocks_corrupt(r.counter("agora_blocks_corrupt_total",
                                 "Stored blocks that failed their hash check when about to be "
                                 "served: quarantined, not sent")),
        block_refs_broken(r.counter("agora_block_refs_broken_total",
                                    "File references whose file no longer held the block when "
                                    "about to be served: reference dropped, not sent")) {}
  observe::Counter& blocks_received;
  observe::Counter& bytes_received;
  observe::Counter& blocks_sent;
  observe::Counter& bytes_sent;
  observe::Counter& messages_received;
  observe::Counter& messages_malformed;
  observe::Counter& messages_dropped;
  observe::Counter& peers_misbehaved;
  observe::Counter& blocks_corrupt;
  observe::Counter& block_refs_broken;
};

std::optional<size_t> BitswapService::StoreBlocks::block_size(const Cid& cid) {
  auto size = svc_.blocks_.size(cid);
  if (!size) return std::nullopt;
  return size_t(*size);
}

// Re-hashed before it leaves: a peer that receives a corrupt block rightly bans us.
std::optional<Bytes> BitswapService::StoreBlocks::read_checked(const Cid& cid) {
  auto block = svc_.blocks_.get_checked(cid);
  if (block && block->corrupt) svc_.block_corrupt(cid, *block);
  if (!block || block->corrupt) return std::nullopt;
  return std::move(block->data);
}

namespace {
behaviour::BitswapBehaviourConfig behaviour_config(const BitswapServiceConfig& c) {
  behaviour::BitswapBehaviourConfig b;
  b.client = c.client;
  b.server = c.server;
  b.limits = c.limits;
  b.inbound_streams_per_peer_max = c.inbound_streams_per_peer_max;
  b.peer_send_queue_bytes_max = c.peer_send_queue_bytes_max;
  b.misbehaviour_ban = c.misbehaviour_ban;
  return b;
}
}  // namespace

BitswapService::BitswapService(rt::Swarm& swarm, rt::BehaviourHost& host, store::Blockstore& blocks,
                               BitswapServiceConfig config, observe::Registry& metrics,
                               observe::EventRecorder& events)
    : swarm_(swarm),
      host_(host),
      blocks_(blocks),
      config_(config),
      events_(events),
      store_blocks_(*this),
      behaviour_(behaviour_config(config_), store_blocks_),
      client_(behaviour_.client()),
      counters_(std::make_unique<Counters>(metrics)) {}

BitswapService::~BitswapService() { host_.remove(behaviour_); }

void BitswapService::start() {
  host_.add(behaviour_, [this] { on_progress(); });
}

void BitswapService::stop() { stopped_ = true; }

void BitswapService::pump() {
  behaviour_.commanded(rt::now());
  host_.wake(behaviour_);
}

void BitswapService::on_progress() {
  while (auto e = behaviour_.poll_event()) {
    if (auto* block = std::get_if<BlockReceived>(&*e)) {
      deliver(std::move(*block));
    } else if (auto* stalled = std::get_if<WantStalled>(&*e)) {
      // Fetch sessions notice a stall through their own timeout; the hook may find providers.
      if (on_want_stalled_ && !stopped_) on_want_stalled_(stalled->cid);
    } else if (auto* bad = std::get_if<behaviour::BitswapMisbehaved>(&*e)) {
      misbehaved(bad->peer, bad->reason);
    }
  }
  // The behaviour counts; the metrics registry gets what is new since the last time.
  const behaviour::BitswapBehaviourStats& now = behaviour_.stats();
  auto add = [](observe::Counter& c, uint64_t current, uint64_t& seen) {
    if (current > seen) c.add(current - seen);
    seen = current;
  };
  add(counters_->blocks_received, now.blocks_received, counted_.blocks_received);
  add(counters_->bytes_received, now.block_bytes_received, counted_.block_bytes_received);
  add(counters_->blocks_sent, now.blocks_sent, counted_.blocks_sent);
  add(counters_->bytes_sent, now.block_bytes_sent, counted_.block_bytes_sent);
  add(counters_->messages_received, now.messages_received, counted_.messages_received);
  add(counters_->messages_malformed, now.messages_malformed, counted_.messages_malformed);
  add(counters_->messages_dropped, now.messages_dropped, counted_.messages_dropped);
  add(counters_->peers_misbehaved, now.peers_misbehaved, counted_.peers_misbehaved);
}

void BitswapService::deliver(BlockReceived block) {
  auto it = waiting_.find(block.cid);
  if (it == waiting_.end()) return;  // the session that wanted it has ended
  std::vector<Session*> sessions = std::move(it->second);
  waiting_.erase(it);
  for (size_t i = 0; i < sessions.size(); ++i) {
    Session* s = sessions[i];
    if (i + 1 == sessions.size()) {
      s->arrived.push_back(std::move(block));
    } else {
      s->arrived.push_back(block);
    }
    s->wake.notify();
  }
}

// The behaviour has cut the peer off and banned it; this records why.
void BitswapService::misbehaved(const PeerId& peer, const std::string& reason) {
  observe::Event e;
  e.type = observe::EventType::peer_misbehaved;
  e.peer = peer.to_string();
  e.protocol = std::string(kProtocolId);
  e.reason = "bitswap";
  e.detail = reason;
  events_.record(std::move(e));
}

void BitswapService::quarantine(const Cid& cid) {
  counters_->blocks_corrupt.inc();
  auto moved = blocks_.quarantine(cid.hash());
  observe::Event e;
  e.type = observe::EventType::block_quarantined;
  e.protocol = std::string(kProtocolId);
  e.reason = moved ? "hash_mismatch" : "hash_mismatch_not_moved";
  e.detail =
      "block " + cid.to_string() + " does not match its hash; " +
      (moved ? "moved to " + moved->string() : "could not move it: " + moved.error().message);
  events_.record(std::move(e));
}

void BitswapService::block_corrupt(const Cid& cid, const store::Blockstore::CheckedBlock& block) {
  if (!block.referenced) return quarantine(cid);
  counters_->block_refs_broken.inc();
  auto dropped = blocks_.drop_ref(cid.hash(), block.ref);
  observe::Event e;
  e.type = observe::EventType::block_ref_broken;
  e.protocol = std::string(kProtocolId);
  e.reason = !dropped ? "ref_broken_not_dropped" : "ref_broken";
  e.detail = block.problem + "; " +
             (!dropped ? "could not drop the reference: " + dropped.error().message
                       : std::string("reference dropped, the file left as it is"));
  events_.record(std::move(e));
}

void BitswapService::block_added(const Cid& cid) {
  behaviour_.server().on_block_added(cid);
  pump();
}

rt::awaitable<Result<FetchProgress>> BitswapService::fetch_dag(Cid root, Duration stall_timeout,
                                                               FetchProgressFn progress,
                                                               uint64_t fetched_bytes_max,
                                                               CancelFlag cancel) {
  std::string what = root.to_string();
  BitswapFetchSpans traced(spans_, root);
  auto fetched =
      co_await walk_and_fetch(DagWalk(root, config_.walk), std::move(what), stall_timeout,
                              std::move(progress), fetched_bytes_max, std::move(cancel), &traced);
  if (fetched) {
    traced.finish("ok");
  } else {
    traced.finish(std::string(errc_name(fetched.error().code)), fetched.error().message);
  }
  // The walk's blocks came from the heap, which glibc keeps after free(): hand the pages back,
  // so what a hostile DAG cost ends with its fetch.
  ::malloc_trim(0);
  co_return fetched;
}

rt::awaitable<Result<FetchProgress>> BitswapService::fetch_blocks(std::vector<Cid> blocks,
                                                                  Duration stall_timeout,
                                                                  CancelFlag cancel) {
  std::string what = blocks.empty() ? "no blocks" : blocks.front().to_string();
  if (blocks.size() > 1) what += " and " + std::to_string(blocks.size() - 1) + " more blocks";
  co_return co_await walk_and_fetch(DagWalk::blocks_only(std::move(blocks), config_.walk),
                                    std::move(what), stall_timeout, FetchProgressFn(), 0,
                                    std::move(cancel), nullptr);
}

rt::awaitable<Result<FetchProgress>> BitswapService::walk_and_fetch(
    DagWalk walk, std::string what, Duration stall_timeout, FetchProgressFn progress,
    uint64_t fetched_bytes_max, CancelFlag cancel, BitswapFetchSpans* traced) {
  Session session(swarm_.executor());
  FetchProgress p;
  // Leaves no trace on any exit: unregister from waiting_ and withdraw what is still wanted
  // (what the walk has in flight: a list of everything ever asked would grow with the DAG).
  struct Cleanup {
    BitswapService& svc;
    Session& session;
    const DagWalk& walk;
    ~Cleanup() {
      std::vector<Cid> still;
      for (const Cid& c : walk.in_flight_cids()) {
        auto it = svc.waiting_.find(c);
        if (it == svc.waiting_.end()) continue;
        std::erase(it->second, &session);
        if (it->second.empty()) {
          svc.waiting_.erase(it);
          still.push_back(c);
        }
      }
      if (!still.empty()) {
        svc.client_.cancel(still, rt::now());
        svc.pump();
      }
    }
  } cleanup{*this, session, walk};

  constexpr uint64_t kLocalBlocksPerYield = 64;
  auto gc_guard = blocks_.hold_off_gc();
  auto batch = blocks_.batch();
  // Blocks in the batch: once committed, peers that asked us for them while we lacked them get
  // them (or a HAVE) from our server, so peers fetching the same DAG serve each other.
  std::vector<Cid> uncommitted;
  auto commit = [&]() -> Status {
    AGORA_TRY(batch.commit());
    for (const Cid& c : uncommitted) behaviour_.server().on_block_added(c);
    uncommitted.clear();
    pump();
    return {};
  };
  Instant last_progress = rt::now();
  Instant last_report{};
  while (!walk.done()) {
    std::vector<Cid> want;
    for (bool more = true; more;) {
      more = false;
      for (Cid& c : walk.take_requests()) {
        if (blocks_.has(c)) {
          auto data = blocks_.get(c);
          if (!data) co_return data.error();
          if (Status st = walk.on_block(c, *data); !st) co_return st.error();
          ++p.blocks_local;
          p.bytes_local += data->size();
          more = true;
          // A DAG we mostly hold is read here without waiting on the network: let the loop serve
          // everyone else between batches of local reads.
          if (p.blocks_local % kLocalBlocksPerYield == 0)
            co_await asio::post(swarm_.executor(), asio::use_awaitable);
          continue;
        }
        auto& list = waiting_[c];
        if (list.empty()) want.push_back(c);
        list.push_back(&session);
      }
    }
    if (!want.empty()) {
      // Each fetcher asks for a level's blocks in its own order, so peers fetching the same DAG
      // at once soon hold different blocks and can serve each other rather than all waiting on
      // the first provider for the same block.
      std::shuffle(want.begin(), want.end(), shuffle_rng_);
      if (Status st = client_.want(want, rt::now()); !st) co_return st.error();
      pump();
    }
    if (walk.done()) break;
    while (session.arrived.empty()) {
      if (is_set(cancel)) break;
      Duration left = stall_timeout - (rt::now() - last_progress);
      if (left <= Duration::zero() || stopped_) {
        co_return make_error(Errc::timeout,
                             "no block arrived for " + std::to_string(to_ms(stall_timeout) / 1000) +
                                 " s; " + std::to_string(walk.in_flight()) + " blocks missing (" +
                                 std::to_string(client_.peer_count()) +
                                 " peers asked); is a peer that has " + what + " connected?");
      }
      co_await session.wake.wait_for(std::min(left, kCancelCheck));
    }
    if (is_set(cancel)) {
      // What arrived stays stored: a later fetch of the same DAG resumes from it.
      if (Status st = commit(); !st) co_return st.error();
      co_return make_error(Errc::cancelled, "cancelled after " + std::to_string(p.blocks_fetched) +
                                                " blocks fetched (kept for a resume)");
    }
    while (!session.arrived.empty()) {
      BlockReceived b = std::move(session.arrived.front());
      session.arrived.pop_front();
      if (Status st = walk.on_block(b.cid, b.data); !st) co_return st.error();
      ++p.blocks_fetched;
      p.bytes_fetched += b.data.size();
      if (fetched_bytes_max > 0 && p.bytes_fetched > fetched_bytes_max)
        co_return make_error(Errc::too_large, "fetched more than " +
                                                  std::to_string(fetched_bytes_max) + " bytes of " +
                                                  what + "; stopped");
      if (traced) traced->on_block(b.from, b.data.size());
      ++p.blocks_by_peer[b.from.to_string()];
      p.bytes_by_peer[b.from.to_string()] += b.data.size();
      last_progress = rt::now();
      // The client core computed the CID from the bytes: no second hash here.
      if (Status st = batch.add_verified(b.cid, b.data); !st) co_return st.error();
      uncommitted.push_back(b.cid);
    }
    if (batch.pending_bytes() >= kFetchCommitBytes) {
      if (Status st = commit(); !st) co_return st.error();
    }
    p.blocks_in_flight = walk.in_flight();
    if (progress && rt::now() - last_report > std::chrono::milliseconds(200)) {
      last_report = rt::now();
      progress(p);
    }
  }
  if (Status st = commit(); !st) co_return st.error();
  p.blocks_in_flight = 0;
  if (progress) progress(p);
  co_return p;
}

}  // namespace agora
