// Bitswap faults against running nodes: a peer that serves tampered blocks, and peers that send
// malformed, truncated or oversized bitswap messages. The node under test must cut each of them
// off, record and count it, store nothing bad, and still complete its download from an honest
// peer. Also: a peer that asked the node for a block it lacked is served once the node has
// fetched it (what lets peers fetching the same content at once serve each other).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "codec/lp_frame.h"
#include "codec/varint.h"
#include "crypto/random.h"
#include "node/content.h"
#include "node/node.h"
#include "node_test_util.h"
#include "proto/bitswap/message.h"
#include "store/test_dir.h"
#include "unixfs/exporter.h"
#include "unixfs/file_importer.h"

namespace agora {
namespace {

using namespace std::chrono_literals;
using bitswap::Message;

constexpr auto kWait = 30s;  // generous: the machine may be busy; never a timing assertion
const std::string kBitswap = "/ipfs/bitswap/1.2.0";
const std::vector<std::string> kBitswapOnly{kBitswap};

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout = kWait) {
  return test::eventually(cond, timeout);
}
using test::metric;

// Occurrences the events record, a summary by its count. The read is at the end of time, so every
// summary window has ended and been recorded.
size_t events_of_type(node::Node& node, observe::EventType type) {
  return test::count_events(node, [&](const observe::Event& e) { return e.type == type; });
}

// Occurrences the events record, a summary by its count (it names the last peer it counts). The
// read is at the end of time, so every summary window has ended and been recorded.
size_t misbehaved_events(node::Node& node, const PeerId& peer) {
  return test::count_events(node, [&](const observe::Event& e) {
    return e.type == observe::EventType::peer_misbehaved && e.peer == peer.to_string();
  });
}

struct PeerWithStore {
  store::TestDir dir;
  std::unique_ptr<store::Blockstore> blocks;
  std::unique_ptr<node::Node> node;
};

// Length-prefixed bitswap messages from a stream, one at a time.
class MessageReader {
 public:
  explicit MessageReader(std::shared_ptr<rt::Stream> in) : in_(std::move(in)) {}
  // The next message; nullopt once the stream ends or a frame or message is bad.
  rt::awaitable<std::optional<Message>> next() {
    for (;;) {
      auto frame = reader_.next();
      if (!frame) co_return std::nullopt;
      if (*frame) {
        auto m = bitswap::decode_message(**frame);
        if (!m) co_return std::nullopt;
        co_return std::move(*m);
      }
      auto n = co_await in_->read_some(buf_.data(), buf_.size());
      if (!n || *n == 0) co_return std::nullopt;
      reader_.feed({buf_.data(), *n});
    }
  }

 private:
  std::shared_ptr<rt::Stream> in_;
  LpReader reader_{8 << 20};
  Bytes buf_ = Bytes(64 * 1024);
};

// A peer that has the content and answers every want, but flips one byte of each block it sends:
// the worst kind of liar, since its HAVEs are true and it is fast.
class TamperingPeer {
 public:
  TamperingPeer(asio::io_context& io, store::Blockstore& real_blocks) : real_(real_blocks) {
    store::Config config;
    config.listen = {"/ip4/127.0.0.1/tcp/0"};
    node_ = std::make_unique<node::Node>(io, crypto::Ed25519PrivateKey::generate(), config);
    node_->swarm().set_handler(kBitswap, [this](auto s) { return serve(std::move(s)); });
  }
  node::Node& node() { return *node_; }
  size_t tampered_blocks_sent() const { return sent_; }

 private:
  rt::awaitable<void> serve(std::shared_ptr<rt::Stream> in) {
    auto conn = in->connection().shared_from_this();
    MessageReader reader(in);
    std::shared_ptr<rt::Stream> out;
    for (;;) {
      auto wants = co_await reader.next();
      if (!wants) co_return;
      Message answer;
      for (const auto& e : wants->wantlist) {
        if (e.cancel) continue;
        if (e.type == bitswap::WantType::have) {
          answer.presences.push_back({e.cid, bitswap::PresenceType::have});
          continue;
        }
        auto data = real_.get(e.cid);
        if (!data || data->empty()) continue;
        (*data)[data->size() / 2] ^= 0x01;
        answer.blocks.push_back({e.cid, std::move(*data)});  // the real prefix, altered bytes
        ++sent_;
      }
      if (answer.blocks.empty() && answer.presences.empty()) continue;
      if (!out) {
        auto opened = co_await node_->swarm().open_stream(conn, kBitswapOnly);
        if (!opened) co_return;
        out = *opened;
      }
      if (!co_await out->write_all(bitswap::encode_message_frame(answer))) co_return;
    }
  }

  store::Blockstore& real_;
  std::unique_ptr<node::Node> node_;
  size_t sent_ = 0;
};

// A peer that only listens: it records every block and presence a node sends it, and never asks
// again on its own (no rebroadcast), so whatever arrives was sent unprompted by the node.
class ListeningPeer {
 public:
  explicit ListeningPeer(asio::io_context& io) {
    store::Config config;
    config.listen = {"/ip4/127.0.0.1/tcp/0"};
    node_ = std::make_unique<node::Node>(io, crypto::Ed25519PrivateKey::generate(), config);
    node_->swarm().set_handler(kBitswap, [this](auto s) { return listen(std::move(s)); });
  }
  node::Node& node() { return *node_; }
  // Presences and blocks received for `cid`: "have", "dont_have" or "block".
  std::vector<std::string> answers_for(const Cid& cid) {
    std::lock_guard lock(mu_);
    return answers_[cid.to_string()];
  }

 private:
  rt::awaitable<void> listen(std::shared_ptr<rt::Stream> in) {
    MessageReader reader(std::move(in));
    for (;;) {
      auto m = co_await reader.next();
      if (!m) co_return;
      std::lock_guard lock(mu_);
      for (const auto& p : m->presences)
        answers_[p.cid.to_string()].push_back(p.type == bitswap::PresenceType::have ? "have"
                                                                                    : "dont_have");
      for (const auto& b : m->blocks) answers_[b.cid.to_string()].push_back("block");
    }
  }

  std::unique_ptr<node::Node> node_;
  std::mutex mu_;
  std::map<std::string, std::vector<std::string>> answers_;
};

class BitswapFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    make_peer(honest_);
    make_peer(victim_);
    // 40 leaves of 256 KiB and a root: enough want-blocks that every peer gets some.
    Bytes data = crypto::random_bytes(40 * 256 * 1024 + 123);
    store::Blockstore::Batch batch = honest_.blocks->batch();
    struct Sink : BlockSink {
      store::Blockstore::Batch& batch;
      explicit Sink(store::Blockstore::Batch& b) : batch(b) {}
      Status put(const Cid& cid, Bytes block) override { return batch.add(cid, block); }
    } sink(batch);
    unixfs::Profile profile = unixfs::profile_unixfs_v1_2025();
    profile.chunk_bytes = 256 * 1024;
    unixfs::FileImporter importer(profile, sink);
    Status wrote = importer.write(data);
    ASSERT_TRUE(wrote.ok()) << wrote.error().to_string();
    auto root = importer.finish();
    ASSERT_TRUE(root.ok()) << root.error().to_string();
    ASSERT_TRUE(batch.commit().ok());
    root_ = root->cid;
    data_ = std::move(data);
    ASSERT_TRUE(honest_.node->start().ok());
    ASSERT_TRUE(victim_.node->start().ok());
  }

  void TearDown() override {
    asio::post(io_, [this] {
      open_streams_.clear();
      for (node::Node* n : nodes_) n->stop();
    });
    work_.reset();
    asio::post(io_, [this] { io_.stop(); });
    if (thread_.joinable()) thread_.join();
  }

  // In place: a TestDir removes its directory when any copy of it goes away.
  void make_peer(PeerWithStore& p) {
    auto blocks = store::Blockstore::open(p.dir.path() / "blocks");
    EXPECT_TRUE(blocks.ok());
    p.blocks = std::move(*blocks);
    store::Config config;
    config.listen = {"/ip4/127.0.0.1/tcp/0"};
    p.node = std::make_unique<node::Node>(io_, crypto::Ed25519PrivateKey::generate(), config,
                                          p.blocks.get());
    nodes_.push_back(p.node.get());
  }

  void run_io() {
    thread_ = std::thread([this] { io_.run(); });
  }

  Multiaddr addr_of(node::Node& n) {
    return n.swarm().listen_addrs().at(0).with_peer_id(n.peer_id());
  }

  // `from` dials `to`; true once connected.
  bool connect(node::Node& from, node::Node& to) {
    auto fut = asio::co_spawn(
        io_, [&]() -> rt::awaitable<bool> { co_return (co_await from.connect(addr_of(to))).ok(); },
        asio::use_future);
    return fut.wait_for(kWait) == std::future_status::ready && fut.get();
  }

  // Starts fetching on the node's loop; the fetch fails once nothing arrives for `stall`.
  std::future<Result<FetchProgress>> start_fetch(node::Node& n, Cid root, Duration stall = 20s) {
    auto promise = std::make_shared<std::promise<Result<FetchProgress>>>();
    auto fut = promise->get_future();
    asio::co_spawn(
        io_,
        [&n, root, stall, promise]() -> rt::awaitable<void> {
          promise->set_value(co_await n.bitswap()->fetch_dag(root, stall));
        },
        asio::detached);
    return fut;
  }

  Result<FetchProgress> fetch(node::Node& n, Cid root) {
    auto fut = start_fetch(n, root);
    if (fut.wait_for(kWait + 10s) != std::future_status::ready)
      return make_error(Errc::timeout, "fetch did not finish");
    return fut.get();
  }

  // The victim holds the whole file, byte for byte.
  void expect_victim_has_the_file() {
    BlockstoreSource source(*victim_.blocks);
    Bytes out;
    Status read = unixfs::read_file(source, root_, [&](BytesView chunk) {
      append(out, chunk);
      return Status{};
    });
    ASSERT_TRUE(read.ok()) << read.error().to_string();
    EXPECT_TRUE(out == data_);
  }

  bool connected(node::Node& a, node::Node& b) {
    auto fut = asio::co_spawn(
        io_,
        [&]() -> rt::awaitable<bool> { co_return a.swarm().connection_to(b.peer_id()) != nullptr; },
        asio::use_future);
    return fut.get();
  }

  // A started peer holding a copy of every block the honest peer has.
  PeerWithStore& add_mirror() {
    extra_peers_.push_back(std::make_unique<PeerWithStore>());
    PeerWithStore& mirror = *extra_peers_.back();
    make_peer(mirror);
    Status copied = honest_.blocks->for_each([&](const Multihash& hash, uint64_t) -> Status {
      AGORA_ASSIGN(Bytes data, honest_.blocks->get(hash));
      return mirror.blocks->put(Cid::v1(kCodecRaw, hash), data);
    });
    EXPECT_TRUE(copied.ok()) << copied.error().to_string();
    EXPECT_TRUE(mirror.node->start().ok());
    return mirror;
  }

  ListeningPeer& add_listener() {
    listeners_.push_back(std::make_unique<ListeningPeer>(io_));
    nodes_.push_back(&listeners_.back()->node());
    return *listeners_.back();
  }
  TamperingPeer& add_liar() {
    liars_.push_back(std::make_unique<TamperingPeer>(io_, *honest_.blocks));
    nodes_.push_back(&liars_.back()->node());
    return *liars_.back();
  }

  // `asker` sends `to` a want-have for `cid` (DONT_HAVE wanted) on a stream it keeps open.
  Status ask_have(ListeningPeer& asker, node::Node& to, const Cid& cid) {
    Message want;
    want.wantlist.push_back({cid, 1, false, bitswap::WantType::have, true});
    auto sent = asio::co_spawn(
        io_,
        [&]() -> rt::awaitable<Status> {
          auto conn = asker.node().swarm().connection_to(to.peer_id());
          if (!conn) co_return make_error(Errc::closed, "no connection");
          auto stream = co_await asker.node().swarm().open_stream(conn, kBitswapOnly);
          if (!stream) co_return stream.error();
          open_streams_.push_back(*stream);  // kept open: the want stays on the peer's ledger
          co_return co_await (*stream)->write_all(bitswap::encode_message_frame(want));
        },
        asio::use_future);
    if (sent.wait_for(kWait) != std::future_status::ready)
      return make_error(Errc::timeout, "want not sent");
    return sent.get();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::vector<node::Node*> nodes_;
  std::vector<std::unique_ptr<node::Node>> attackers_;
  // Peers made by a test live until the fixture goes, after the io thread has stopped: a Node
  // destroyed while its loop still runs races with it.
  std::vector<std::unique_ptr<ListeningPeer>> listeners_;
  std::vector<std::unique_ptr<TamperingPeer>> liars_;
  std::vector<std::shared_ptr<rt::Stream>> open_streams_;
  std::vector<std::unique_ptr<PeerWithStore>> extra_peers_;
  std::thread thread_;
  PeerWithStore honest_, victim_;
  Cid root_;
  Bytes data_;
};

TEST_F(BitswapFaultTest, TamperedBlocksCutTheLiarOffAndTheHonestPeerCompletesTheDownload) {
  TamperingPeer& liar = add_liar();
  ASSERT_TRUE(liar.node().start().ok());
  run_io();
  ASSERT_TRUE(connect(*victim_.node, liar.node()));
  ASSERT_TRUE(connect(*victim_.node, *honest_.node));

  auto got = fetch(*victim_.node, root_);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_GT(liar.tampered_blocks_sent(), 0u) << "the liar was never asked for a block";
  expect_victim_has_the_file();
  EXPECT_EQ(got->blocks_by_peer.count(liar.node().peer_id().to_string()), 0u);
  EXPECT_EQ(got->blocks_by_peer[honest_.node->peer_id().to_string()], got->blocks_fetched);

  // Cut off, recorded and counted; the honest peer stays connected.
  EXPECT_TRUE(eventually([&] { return !connected(*victim_.node, liar.node()); }));
  EXPECT_GE(misbehaved_events(*victim_.node, liar.node().peer_id()), 1u);
  EXPECT_GE(metric(*victim_.node, "agora_bitswap_peers_misbehaved_total"), 1);
  EXPECT_TRUE(connected(*victim_.node, *honest_.node));
  EXPECT_EQ(misbehaved_events(*victim_.node, honest_.node->peer_id()), 0u);

  // Banned for a while: the liar cannot come back, and the victim does not dial it.
  EXPECT_FALSE(connect(liar.node(), *victim_.node) &&
               eventually([&] { return connected(*victim_.node, liar.node()); }, 2s));
  EXPECT_FALSE(connect(*victim_.node, liar.node()));
  EXPECT_FALSE(connected(*victim_.node, liar.node()));
}

// Before, a block that rotted on the honest peer's disk was sent as it was: the victim rightly cut
// the honest peer off as malicious, and the honest peer recorded nothing.
TEST_F(BitswapFaultTest, ACorruptStoredBlockIsQuarantinedNotServed) {
  std::optional<Multihash> leaf;
  ASSERT_TRUE(honest_.blocks
                  ->for_each([&](const Multihash& hash, uint64_t size_bytes) -> Status {
                    if (size_bytes == 256 * 1024 && !leaf) leaf = hash;
                    return {};
                  })
                  .ok());
  ASSERT_TRUE(leaf);
  PeerWithStore& mirror = add_mirror();  // a good copy of everything, made before the rot
  std::filesystem::path leaf_path = honest_.blocks->path_of(*leaf);
  {
    std::fstream f(leaf_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(1000);
    char byte = char(f.get() ^ 0x01);
    f.seekp(1000);
    f.put(byte);
  }
  ASSERT_NE(multihash_sha2_256(*honest_.blocks->get(*leaf)).digest, leaf->digest);
  run_io();
  ASSERT_TRUE(connect(*victim_.node, *honest_.node));
  auto fetching = start_fetch(*victim_.node, root_, 60s);

  // The honest peer is asked for every block; it finds the rotten one, sets it aside, and says
  // DONT_HAVE instead of sending it.
  EXPECT_TRUE(eventually(
      [&] { return events_of_type(*honest_.node, observe::EventType::block_quarantined) == 1; }));
  EXPECT_EQ(metric(*honest_.node, "agora_blocks_corrupt_total"), 1);
  EXPECT_FALSE(std::filesystem::exists(leaf_path));
  EXPECT_TRUE(std::filesystem::exists(honest_.blocks->quarantine_dir() / leaf_path.filename()));
  EXPECT_FALSE(honest_.blocks->has(*leaf));

  // The victim completes from a peer that still has a good copy, and holds nothing against the
  // honest one.
  ASSERT_TRUE(connect(*victim_.node, *mirror.node));
  ASSERT_EQ(fetching.wait_for(kWait + 40s), std::future_status::ready);
  auto got = fetching.get();
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  expect_victim_has_the_file();
  EXPECT_EQ(misbehaved_events(*victim_.node, honest_.node->peer_id()), 0u);
  EXPECT_TRUE(connected(*victim_.node, *honest_.node));
  EXPECT_EQ(events_of_type(*honest_.node, observe::EventType::block_quarantined), 1u);
}

// Each bad message comes from a fresh peer over a real bitswap stream.
TEST_F(BitswapFaultTest, MalformedAndOversizedMessagesCutThePeerOffAndStoreNothing) {
  run_io();
  Cid stranger = Cid::of(as_bytes(std::string_view("not stored anywhere")));
  Message with_block;
  with_block.blocks.push_back({stranger, to_bytes("not stored anywhere")});
  Bytes truncated = bitswap::encode_message(with_block);
  truncated.resize(truncated.size() - 4);
  Message too_many_wants;
  for (int i = 0; i < 1100; ++i)
    too_many_wants.wantlist.push_back(
        {Cid::of(as_bytes(std::to_string(i))), 1, false, bitswap::WantType::have, false});
  Bytes oversized_prefix;
  put_uvarint(oversized_prefix, 64 << 20);  // claims 64 MiB, over message_bytes_max
  oversized_prefix.resize(oversized_prefix.size() + 100, 0);
  Message big_block;
  Bytes big(3 << 20, 7);
  big_block.blocks.push_back({Cid::of(big), big});  // over block_bytes_max (2 MiB)

  struct Case {
    const char* name;
    Bytes bytes;  // written to the stream as is
  };
  std::vector<Case> cases = {
      {"block over the block size limit", bitswap::encode_message_frame(big_block)},
      {"truncated protobuf", lp_encode(truncated)},
      {"length prefix over the message limit", oversized_prefix},
      {"wantlist over its entry limit", bitswap::encode_message_frame(too_many_wants)},
      {"garbage protobuf", lp_encode(to_bytes(std::string(64, '\xff')))},
  };
  // The victim wants the oversized block (every new peer is asked for it), so only the size
  // limit keeps it out of the store.
  auto wanting_big = start_fetch(*victim_.node, Cid::of(big), 8s);
  double malformed_before = metric(*victim_.node, "agora_bitswap_messages_malformed_total");
  size_t n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    store::Config config;
    config.listen = {"/ip4/127.0.0.1/tcp/0"};
    // Kept until TearDown: the io thread may still hold references to it.
    attackers_.push_back(
        std::make_unique<node::Node>(io_, crypto::Ed25519PrivateKey::generate(), config));
    node::Node& attacker = *attackers_.back();
    nodes_.push_back(&attacker);
    ASSERT_TRUE(connect(attacker, *victim_.node));
    auto fut = asio::co_spawn(
        io_,
        [&]() -> rt::awaitable<Status> {
          auto conn = attacker.swarm().connection_to(victim_.node->peer_id());
          if (!conn) co_return make_error(Errc::closed, "no connection");
          auto stream = co_await attacker.swarm().open_stream(conn, kBitswapOnly);
          if (!stream) co_return stream.error();
          // Kept open: a stream dropped at once is reset, and the reset may overtake the data.
          open_streams_.push_back(*stream);
          co_return co_await (*stream)->write_all(c.bytes);
        },
        asio::use_future);
    ASSERT_EQ(fut.wait_for(kWait), std::future_status::ready);
    (void)fut.get();  // the victim may reset the stream before the last byte is written
    ++n;
    EXPECT_TRUE(eventually([&] { return !connected(*victim_.node, attacker); }));
    EXPECT_EQ(misbehaved_events(*victim_.node, attacker.peer_id()), 1u);
    EXPECT_TRUE(eventually([&] {
      return metric(*victim_.node, "agora_bitswap_messages_malformed_total") ==
             malformed_before + double(n);
    }));
  }
  EXPECT_FALSE(victim_.blocks->has(stranger));
  ASSERT_EQ(wanting_big.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(wanting_big.get().ok());  // nobody may deliver it: the fetch stalls
  EXPECT_FALSE(victim_.blocks->has(Cid::of(big)));

  // The victim still works: it fetches the file from the honest peer.
  ASSERT_TRUE(connect(*victim_.node, *honest_.node));
  auto got = fetch(*victim_.node, root_);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  expect_victim_has_the_file();
}

// Before, a fetched block was stored but the node's server never heard of it: a peer that had
// asked while it lacked the block waited for its own rebroadcast, so peers fetching the same
// file at once never served each other.
TEST_F(BitswapFaultTest, APeerThatAskedEarlyIsServedOnceTheBlockIsFetched) {
  ListeningPeer& asker = add_listener();
  ASSERT_TRUE(asker.node().start().ok());
  run_io();
  ASSERT_TRUE(connect(asker.node(), *victim_.node));
  ASSERT_TRUE(ask_have(asker, *victim_.node, root_).ok());
  ASSERT_TRUE(eventually([&] { return !asker.answers_for(root_).empty(); }));
  EXPECT_EQ(asker.answers_for(root_), std::vector<std::string>{"dont_have"});

  ASSERT_TRUE(connect(*victim_.node, *honest_.node));
  auto got = fetch(*victim_.node, root_);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  // Unasked, the asker now hears that the victim has the root (a HAVE, or the block if small).
  EXPECT_TRUE(eventually([&] { return asker.answers_for(root_).size() == 2; }));
  auto answers = asker.answers_for(root_);
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_TRUE(answers[1] == "have" || answers[1] == "block") << answers[1];
}

TEST_F(BitswapFaultTest, APeerThatAskedBeforeContentWasAddedIsServed) {
  ListeningPeer& asker = add_listener();
  ASSERT_TRUE(asker.node().start().ok());
  run_io();
  ASSERT_TRUE(connect(asker.node(), *victim_.node));
  Bytes data = crypto::random_bytes(4096);
  Cid cid = Cid::of(data);
  ASSERT_TRUE(ask_have(asker, *victim_.node, cid).ok());
  ASSERT_TRUE(eventually([&] { return !asker.answers_for(cid).empty(); }));
  ASSERT_TRUE(victim_.blocks->put(cid, data).ok());
  asio::post(io_, [&] { victim_.node->content_added(cid); });  // what `agora add` does after import
  EXPECT_TRUE(eventually([&] { return asker.answers_for(cid).size() == 2; }));
  EXPECT_EQ(asker.answers_for(cid), (std::vector<std::string>{"dont_have", "have"}));
}

}  // namespace
}  // namespace agora
