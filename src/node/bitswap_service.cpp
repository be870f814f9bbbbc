#include "node/bitswap_service.h"

#include <malloc.h>

#include <algorithm>

#include "codec/lp_frame.h"

namespace agora {

using namespace bitswap;

namespace {
// Commit often enough that an interrupted fetch keeps most of what arrived (resume).
constexpr uint64_t kFetchCommitBytes = 16 << 20;
}  // namespace

struct BitswapService::Peer {
  explicit Peer(asio::any_io_executor ex) : wake(ex) {}
  struct Queued {
    Bytes frame;
    uint64_t task_id;  // 0: not a server task
  };
  std::deque<Queued> queue;
  size_t queued_bytes = 0;
  bool writer_running = false;
  bool gone = false;
  rt::Waiter wake;
};

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
                                 "served: quarantined, not sent")) {}
  observe::Counter& blocks_received;
  observe::Counter& bytes_received;
  observe::Counter& blocks_sent;
  observe::Counter& bytes_sent;
  observe::Counter& messages_received;
  observe::Counter& messages_malformed;
  observe::Counter& messages_dropped;
  observe::Counter& peers_misbehaved;
  observe::Counter& blocks_corrupt;
};

std::optional<size_t> BitswapService::StoreInfo::block_size(const Cid& cid) {
  auto size = blocks_.size(cid);
  if (!size) return std::nullopt;
  return size_t(*size);
}

BitswapService::BitswapService(rt::Swarm& swarm, store::Blockstore& blocks,
                               BitswapServiceConfig config, observe::Registry& metrics,
                               observe::EventRecorder& events)
    : swarm_(swarm),
      blocks_(blocks),
      config_(config),
      events_(events),
      store_info_(blocks),
      client_(config.client),
      server_(config.server, store_info_),
      timer_wake_(swarm.executor()),
      counters_(std::make_unique<Counters>(metrics)) {}

BitswapService::~BitswapService() = default;

void BitswapService::start() {
  // The swarm's resource manager holds each peer to inbound_streams_per_peer_max: a stream past
  // it is reset before serve_inbound() runs.
  host::ProtocolLimits limits = swarm_.default_protocol_limits();
  limits.per_peer.streams_inbound_max = config_.inbound_streams_per_peer_max;
  swarm_.set_handler(
      std::string(kProtocolId), [this](auto s) { return serve_inbound(std::move(s)); }, limits);
  swarm_.on_connection([this](const std::shared_ptr<rt::Connection>& conn) {
    if (!stopped_) peer_connected(conn->info().peer);
  });
  swarm_.on_connection_closed([this](rt::Connection& conn, const Error&) {
    if (!stopped_) peer_gone(conn.info().peer);
  });
  asio::co_spawn(swarm_.executor(), timer_loop(), asio::detached);
}

void BitswapService::stop() {
  stopped_ = true;
  timer_wake_.notify();
  for (auto& [id, peer] : peers_) {
    peer->gone = true;
    peer->wake.notify();
  }
}

void BitswapService::peer_connected(const PeerId& peer) {
  if (!peers_.count(peer)) peers_.emplace(peer, std::make_shared<Peer>(swarm_.executor()));
  (void)client_.on_peer_connected(peer, rt::now());  // over peers_max: it is simply not asked
  pump();
}

void BitswapService::peer_gone(const PeerId& peer) {
  if (swarm_.connection_to(peer)) return;  // another connection to it remains
  auto it = peers_.find(peer);
  if (it != peers_.end()) {
    it->second->gone = true;
    it->second->wake.notify();
    peers_.erase(it);
  }
  client_.on_peer_disconnected(peer, rt::now());
  server_.on_peer_disconnected(peer);
  pump();
}

rt::awaitable<void> BitswapService::serve_inbound(std::shared_ptr<rt::Stream> stream) {
  const PeerId peer = stream->connection().info().peer;
  if (!peers_.count(peer)) peer_connected(peer);
  LpReader reader(config_.limits.message_bytes_max);
  Bytes buf(64 * 1024);
  for (;;) {
    auto n = co_await stream->read_some(buf.data(), buf.size());
    if (!n || *n == 0 || stopped_) break;
    reader.feed({buf.data(), *n});
    bool bad = false;
    for (;;) {
      auto frame = reader.next_view();
      if (!frame) {
        counters_->messages_malformed.inc();
        misbehaved(peer, "bitswap message: " + frame.error().message);
        bad = true;
        break;
      }
      if (!*frame) break;
      auto message = decode_message(**frame, config_.limits);
      if (!message) {
        counters_->messages_malformed.inc();
        misbehaved(peer, "bitswap message: " + message.error().message);
        bad = true;
        break;
      }
      counters_->messages_received.inc();
      on_message(peer, std::move(*message));
    }
    if (bad) {
      stream->reset();
      break;
    }
  }
}

void BitswapService::on_message(const PeerId& peer, Message message) {
  Instant now = rt::now();
  if (!message.wantlist.empty() || message.full_wantlist)
    (void)server_.on_message(peer, message, now);
  client_.on_message(peer, std::move(message), now);
  pump();
}

void BitswapService::pump() {
  if (pumping_) return;  // an input arrived while draining: the loop below picks it up
  pumping_ = true;
  bool again = true;
  while (again) {
    again = false;
    while (auto out = client_.poll_outbound()) {
      send(out->peer, out->message);
      again = true;
    }
    while (auto event = client_.poll_event()) {
      again = true;
      if (auto* block = std::get_if<BlockReceived>(&*event)) {
        deliver(std::move(*block));
      } else if (auto* bad = std::get_if<PeerMisbehaved>(&*event)) {
        misbehaved(bad->peer, bad->reason);
      } else if (auto* stalled = std::get_if<WantStalled>(&*event)) {
        // Fetch sessions notice a stall through their own timeout; the hook may find providers.
        if (on_want_stalled_) on_want_stalled_(stalled->cid);
      }
    }
    while (auto task = server_.poll_task(rt::now())) {
      run_task(std::move(*task));
      again = true;
    }
  }
  pumping_ = false;
  timer_wake_.notify();  // the cores' next timer may have moved
}

void BitswapService::deliver(BlockReceived block) {
  counters_->blocks_received.inc();
  counters_->bytes_received.add(block.data.size());
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

void BitswapService::misbehaved(const PeerId& peer, const std::string& reason) {
  counters_->peers_misbehaved.inc();
  observe::Event e;
  e.type = observe::EventType::peer_misbehaved;
  e.peer = peer.to_string();
  e.protocol = std::string(kProtocolId);
  e.reason = "bitswap";
  e.detail = reason;
  events_.record(std::move(e));
  swarm_.ban(peer, config_.misbehaviour_ban, "bitswap: " + reason);
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

void BitswapService::run_task(SendTask task) {
  Message message;
  for (const Cid& cid : task.blocks) {
    // Re-hashed before it leaves: a peer that receives a corrupt block rightly bans us.
    auto block = blocks_.get_checked(cid);
    if (block && block->corrupt) quarantine(cid);
    if (!block || block->corrupt) {  // removed since the server looked (gc), or rotten
      message.presences.push_back({cid, PresenceType::dont_have});
      continue;
    }
    counters_->blocks_sent.inc();
    counters_->bytes_sent.add(block->data.size());
    message.blocks.push_back({cid, std::move(block->data)});
  }
  message.presences.insert(message.presences.end(), task.presences.begin(), task.presences.end());
  auto parts = split_message(std::move(message), config_.limits);
  if (!parts || parts->empty()) {
    server_.task_done(task.id);
    return;
  }
  for (size_t i = 0; i < parts->size(); ++i)
    send(task.peer, (*parts)[i], i + 1 == parts->size() ? task.id : 0);
}

void BitswapService::send(const PeerId& peer, const Message& message, uint64_t task_id) {
  auto it = peers_.find(peer);
  Bytes frame = encode_message_frame(message);
  if (it == peers_.end() || it->second->gone ||
      it->second->queued_bytes + frame.size() > config_.peer_send_queue_bytes_max) {
    counters_->messages_dropped.inc();
    if (task_id) server_.task_done(task_id);
    return;
  }
  Peer& p = *it->second;
  p.queued_bytes += frame.size();
  p.queue.push_back({std::move(frame), task_id});
  if (!p.writer_running) {
    p.writer_running = true;
    asio::co_spawn(swarm_.executor(), write_loop(peer, it->second), asio::detached);
  } else {
    p.wake.notify();
  }
}

rt::awaitable<void> BitswapService::write_loop(PeerId peer, std::shared_ptr<Peer> p) {
  std::shared_ptr<rt::Stream> stream;
  while (!p->gone && !stopped_) {
    if (p->queue.empty()) {
      co_await p->wake.wait();
      continue;
    }
    if (!stream) {
      auto conn = swarm_.connection_to(peer);
      if (!conn) break;
      std::vector<std::string> protocols{std::string(kProtocolId)};
      auto opened = co_await swarm_.open_stream(conn, protocols);
      if (!opened) {
        // It does not speak bitswap (or the connection is going): stop asking it.
        client_.on_peer_disconnected(peer, rt::now());
        server_.on_peer_disconnected(peer);
        break;
      }
      stream = *opened;
    }
    Peer::Queued item = std::move(p->queue.front());
    p->queue.pop_front();
    p->queued_bytes -= item.frame.size();
    Status written = co_await stream->write_all(item.frame);
    if (!written && !p->gone) {
      // Peers may close a stream of ours that sat idle (Helia resets after 10 s): open a new
      // one and send the message again, once.
      stream.reset();
      if (auto conn = swarm_.connection_to(peer)) {
        std::vector<std::string> protocols{std::string(kProtocolId)};
        auto opened = co_await swarm_.open_stream(conn, protocols);
        if (opened) {
          stream = *opened;
          written = co_await stream->write_all(item.frame);
          if (!written) stream.reset();
        }
      }
    }
    if (item.task_id) server_.task_done(item.task_id);
    pump();
  }
  for (auto& item : p->queue)
    if (item.task_id) server_.task_done(item.task_id);
  counters_->messages_dropped.add(p->queue.size());
  p->queue.clear();
  p->queued_bytes = 0;
  p->writer_running = false;
  if (stream) stream->close_write();
}

rt::awaitable<void> BitswapService::timer_loop() {
  while (!stopped_) {
    auto next = client_.next_timer();
    if (next) {
      Duration wait = *next - rt::now();
      if (wait > Duration::zero()) co_await timer_wake_.wait_for(wait);
    } else {
      co_await timer_wake_.wait();
    }
    if (stopped_) break;
    client_.on_timer(rt::now());
    pump();
  }
}

void BitswapService::block_added(const Cid& cid) {
  server_.on_block_added(cid);
  pump();
}

rt::awaitable<Result<FetchProgress>> BitswapService::fetch_dag(Cid root, Duration stall_timeout,
                                                               FetchProgressFn progress,
                                                               uint64_t fetched_bytes_max) {
  auto fetched = co_await walk_and_fetch(std::move(root), stall_timeout, std::move(progress),
                                         fetched_bytes_max);
  // The walk's blocks came from the heap, which glibc keeps after free(): hand the pages back,
  // so what a hostile DAG cost ends with its fetch.
  ::malloc_trim(0);
  co_return fetched;
}

rt::awaitable<Result<FetchProgress>> BitswapService::walk_and_fetch(Cid root,
                                                                    Duration stall_timeout,
                                                                    FetchProgressFn progress,
                                                                    uint64_t fetched_bytes_max) {
  Session session(swarm_.executor());
  DagWalk walk(root, config_.walk);
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
    for (const Cid& c : uncommitted) server_.on_block_added(c);
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
      Duration left = stall_timeout - (rt::now() - last_progress);
      if (left <= Duration::zero() || stopped_) {
        std::string first = want.empty() ? root.to_string() : want.front().to_string();
        co_return make_error(Errc::timeout,
                             "no block arrived for " + std::to_string(to_ms(stall_timeout) / 1000) +
                                 " s; " + std::to_string(walk.in_flight()) + " blocks missing (" +
                                 std::to_string(client_.peer_count()) +
                                 " peers asked); is a peer that has " + root.to_string() +
                                 " connected?");
      }
      co_await session.wake.wait_for(left);
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
                                                  root.to_string() + "; stopped");
      ++p.blocks_by_peer[b.from.to_string()];
      last_progress = rt::now();
      if (Status st = batch.add(b.cid, b.data); !st) co_return st.error();
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
