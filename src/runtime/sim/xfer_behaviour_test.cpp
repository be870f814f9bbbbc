// behaviour::XferBehaviour over the MemoryNetwork's byte streams: one seed to one downloader (both
// UnixFS profiles), a swarm whose downloaders serve each other as they go, a seed that lies, a
// seed that leaves half way, a root that is not a file, and servers' limits.
#include "behaviour/xfer_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"
#include "unixfs/profile.h"
#include "unixfs/test_util.h"

namespace agora::sim {
namespace {

using behaviour::XferBehaviour;
using behaviour::XferConfig;
using std::chrono::milliseconds;
using std::chrono::seconds;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

// A peer's blocks for the server: layouts from what it holds, leaves read from memory.
class MemoryXferBlocks : public behaviour::XferBlocks {
 public:
  explicit MemoryXferBlocks(MemoryBlocks& store) : store_(store) {}
  Result<std::shared_ptr<const xfer::FileLayout>> layout(const Cid& root) override {
    AGORA_ASSIGN(xfer::FileLayout l, xfer::build_layout(store_, root, {}));
    return std::make_shared<const xfer::FileLayout>(std::move(l));
  }
  std::optional<std::vector<bool>> holds(const xfer::FileLayout& layout) override {
    std::vector<bool> held;
    for (const auto& leaf : layout.leaves) held.push_back(store_.contains(leaf.cid));
    if (std::all_of(held.begin(), held.end(), [](bool b) { return b; })) return std::nullopt;
    return held;
  }
  std::optional<Bytes> read_leaf(const Cid& cid) override {
    auto block = store_.get(cid);
    if (!block) return std::nullopt;
    if (lie_ && *lie_ == cid) (*block)[0] ^= 1;
    return std::move(*block);
  }
  void lie_about(const Cid& cid) { lie_ = cid; }

 private:
  MemoryBlocks& store_;
  std::optional<Cid> lie_;
};

// One peer: a store, the behaviour, and an owner that writes what arrives into the store (so
// the peer serves it on) and reassembles the file.
struct XferPeer {
  XferPeer(MemoryNetwork& net, uint8_t n, XferConfig config = small_config())
      : net(net), id(net.add_node(peer(n))), blocks(store), xfer(config, blocks) {
    net.add_behaviour(id, xfer, [this] { drain(); });
  }
  static XferConfig small_config() {
    XferConfig c;
    c.stall_timeout = seconds(5);
    c.download.pipeline_bytes_min = 64 * 1024;
    c.download.pipeline_bytes_max = 256 * 1024;
    return c;
  }
  void drain() {
    while (auto e = xfer.poll_event()) {
      if (auto* s = std::get_if<behaviour::XferSkeleton>(&*e)) {
        layout = s->layout;
        file.assign(layout->file_bytes, 0);
        for (const auto& node : layout->nodes) (void)store.put(node.cid, node.block);
        for (const auto& d : layout->inline_data)
          std::copy(d.data.begin(), d.data.end(), file.begin() + d.offset);
        std::vector<bool> have;
        for (const auto& leaf : layout->leaves) have.push_back(store.contains(leaf.cid));
        xfer.start(s->id, have, start_leaf, net.now());
        for (size_t i = 0; i < have.size(); ++i)
          if (have[i]) place(i, *store.get(layout->leaves[i].cid));
      } else if (auto* leaf = std::get_if<behaviour::XferLeaf>(&*e)) {
        (void)store.put(layout->leaves[leaf->index].cid, *leaf->block);
        place(leaf->index, leaf->data ? *leaf->data : *leaf->block);
        ++leaves_from[leaf->from];
        xfer.have_leaves(layout->root, {leaf->index});
      } else if (std::get_if<behaviour::XferDone>(&*e)) {
        done = true;
      } else if (auto* f = std::get_if<behaviour::XferFailed>(&*e)) {
        failed = f->error;
      } else if (auto* m = std::get_if<behaviour::XferMisbehaved>(&*e)) {
        misbehaved.push_back(m->peer);
      }
    }
  }
  void place(uint64_t index, BytesView bytes) {
    const auto& leaf = layout->leaves[index];
    ASSERT_EQ(bytes.size(), leaf.size);
    std::copy(bytes.begin(), bytes.end(), file.begin() + leaf.offset);
  }
  void fetch(const Cid& root, std::vector<PeerId> from, bool sequential = false) {
    auto started = xfer.download(root, from, sequential, net.now());
    ASSERT_TRUE(started);
    download = *started;
    net.wake(id, xfer);
  }

  MemoryNetwork& net;
  MemoryNetwork::NodeId id;
  MemoryBlocks store;
  MemoryXferBlocks blocks;
  XferBehaviour xfer;
  behaviour::XferDownloadId download = 0;
  uint64_t start_leaf = 0;
  std::shared_ptr<const xfer::FileLayout> layout;
  Bytes file;
  bool done = false;
  std::optional<Error> failed;
  std::map<PeerId, uint64_t> leaves_from;
  std::vector<PeerId> misbehaved;
};

unixfs::Profile small_chunks(bool raw_leaves) {
  unixfs::Profile p =
      raw_leaves ? unixfs::profile_unixfs_v1_2025() : unixfs::profile_unixfs_v0_2015();
  p.chunk_bytes = 16 * 1024;
  p.links_per_node_max = 8;
  return p;
}

Cid import(XferPeer& seed, BytesView content, bool raw_leaves = true) {
  auto root = unixfs::testing::import_bytes(content, small_chunks(raw_leaves), seed.store);
  EXPECT_TRUE(root);
  return root->cid;
}

class XferOneSeed : public ::testing::TestWithParam<bool> {};

TEST_P(XferOneSeed, TheDownloaderGetsTheWholeFileVerified) {
  MemoryNetwork net;
  XferPeer seed(net, 1), getter(net, 2);
  Bytes content = unixfs::testing::random_bytes(1'000'003, 7);
  Cid root = import(seed, content, GetParam());
  ASSERT_TRUE(net.connect(getter.id, seed.id));
  getter.fetch(root, {peer(1)});
  ASSERT_TRUE(net.run_for(seconds(60)));
  ASSERT_FALSE(getter.failed) << getter.failed->message;
  ASSERT_TRUE(getter.done);
  EXPECT_EQ(getter.file, content);
  EXPECT_EQ(seed.xfer.stats().leaves_sent, getter.layout->leaves.size());
  EXPECT_EQ(getter.xfer.downloads(), 0u);
  ASSERT_TRUE(net.run_for(seconds(20)));  // streams end: the server's stall timer cannot hold one
  EXPECT_EQ(seed.xfer.served_streams(), 0u);
}

INSTANTIATE_TEST_SUITE_P(RawAndDagPbLeaves, XferOneSeed, ::testing::Values(true, false));

TEST(XferSwarm, DownloadersServeEachOtherWhileTheyDownload) {
  MemoryNetwork net;
  XferPeer seed(net, 1);
  std::vector<std::unique_ptr<XferPeer>> getters;
  for (uint8_t n = 2; n <= 5; ++n) getters.push_back(std::make_unique<XferPeer>(net, n));
  Bytes content = unixfs::testing::random_bytes(2'000'000, 8);
  Cid root = import(seed, content);
  for (size_t i = 0; i < getters.size(); ++i) {
    ASSERT_TRUE(net.connect(getters[i]->id, seed.id));
    for (size_t j = 0; j < i; ++j) ASSERT_TRUE(net.connect(getters[i]->id, getters[j]->id));
    getters[i]->start_leaf = i * 31;  // each begins elsewhere, as random picks would
  }
  for (size_t i = 0; i < getters.size(); ++i) {
    std::vector<PeerId> from{peer(1)};
    for (size_t j = 0; j < getters.size(); ++j)
      if (j != i) from.push_back(peer(uint8_t(j + 2)));
    getters[i]->fetch(root, from);
  }
  ASSERT_TRUE(net.run_for(seconds(120)));
  uint64_t from_each_other = 0;
  for (auto& g : getters) {
    ASSERT_FALSE(g->failed) << g->failed->message;
    ASSERT_TRUE(g->done);
    EXPECT_EQ(g->file, content);
    // Endgame copies that cross a CANCEL are late, not lies: nobody honest is banned.
    EXPECT_TRUE(g->misbehaved.empty());
    for (auto& [from, n] : g->leaves_from)
      if (from != peer(1)) from_each_other += n;
  }
  EXPECT_GT(from_each_other, 0u);
  // The seed sent less than a copy per downloader.
  EXPECT_LT(seed.xfer.stats().leaves_sent, getters.size() * getters[0]->layout->leaves.size());
}

// A seed and `n` downloaders, each connected to the seed and, with `mesh`, to each other; all
// fetch at once. Returns the leaves the seed sent, once every downloader holds the file intact.
struct SwarmRun {
  uint64_t seed_leaves_sent = 0;
  uint64_t seed_refusals = 0;
  uint64_t leaves = 0;
};
SwarmRun run_swarm(bool new_leaves_first, size_t n, bool mesh, bool sequential = false) {
  MemoryNetwork net;
  XferConfig seed_config = XferPeer::small_config();
  seed_config.seed_new_leaves_first = new_leaves_first;
  XferPeer seed(net, 1, seed_config);
  std::vector<std::unique_ptr<XferPeer>> getters;
  for (uint8_t i = 0; i < n; ++i) getters.push_back(std::make_unique<XferPeer>(net, i + 2));
  Bytes content = unixfs::testing::random_bytes(2'000'000, 14);
  Cid root = import(seed, content);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_TRUE(net.connect(getters[i]->id, seed.id));
    for (size_t j = 0; j < i && mesh; ++j) EXPECT_TRUE(net.connect(getters[i]->id, getters[j]->id));
    getters[i]->start_leaf = i * 31;
  }
  for (size_t i = 0; i < n; ++i) {
    std::vector<PeerId> from{peer(1)};
    for (size_t j = 0; j < n && mesh; ++j)
      if (j != i) from.push_back(peer(uint8_t(j + 2)));
    getters[i]->fetch(root, from, sequential);
  }
  EXPECT_TRUE(net.run_for(seconds(120)));
  for (auto& g : getters) {
    EXPECT_FALSE(g->failed) << g->failed->message;
    EXPECT_TRUE(g->done);
    EXPECT_EQ(g->file, content);
    EXPECT_TRUE(g->misbehaved.empty());
  }
  return {seed.xfer.stats().leaves_sent, seed.xfer.stats().seed_refusals,
          getters[0]->layout ? getters[0]->layout->leaves.size() : 0};
}

// Seeding, new leaves first: the seed answers MISSING for a leaf it just sent to another
// downloader while some leaf has gone to nobody, so the downloaders trade that one and the seed
// sends close to one copy; without the rule the downloaders ask it for the same leaves.
TEST(XferSwarm, ASeedSendsNewLeavesFirstAndAboutOneCopy) {
  SwarmRun with = run_swarm(true, 6, true);
  SwarmRun without = run_swarm(false, 6, true);
  ASSERT_GT(with.leaves, 0u);
  EXPECT_GT(with.seed_refusals, 0u);
  EXPECT_EQ(without.seed_refusals, 0u);
  EXPECT_LT(with.seed_leaves_sent, without.seed_leaves_sent);
  EXPECT_LE(with.seed_leaves_sent, with.leaves * 3 / 2)
      << with.seed_leaves_sent << " leaves sent for a file of " << with.leaves;
}

// Downloaders that cannot reach each other: what the seed refused one of them (it had just sent
// it to the other) is offered again, and both get the whole file from the seed.
TEST(XferSwarm, DownloadersThatCannotTradeStillGetEveryLeafFromASeed) {
  SwarmRun run = run_swarm(true, 3, false);
  ASSERT_GT(run.leaves, 0u);
  EXPECT_GT(run.seed_refusals, 0u);
  EXPECT_EQ(run.seed_leaves_sent, 3 * run.leaves);
}

// One upload slot and rechokes a minute apart: the second downloader waits, choked, while the
// first is served, and gets the slot the moment the first is done, not at the next rechoke.
TEST(XferSwarm, AFreedSlotGoesToAWaitingStreamAtOnce) {
  MemoryNetwork net;
  XferConfig one_slot = XferPeer::small_config();
  one_slot.upload_slots = 1;
  one_slot.rechoke_interval = seconds(60);
  XferPeer seed(net, 1, one_slot), first(net, 2), second(net, 3);
  Bytes content = unixfs::testing::random_bytes(1'000'000, 15);
  Cid root = import(seed, content);
  ASSERT_TRUE(net.connect(first.id, seed.id));
  ASSERT_TRUE(net.connect(second.id, seed.id));
  first.fetch(root, {peer(1)});
  ASSERT_TRUE(net.run_for(milliseconds(50)));
  second.fetch(root, {peer(1)});
  ASSERT_TRUE(net.run_for(milliseconds(50)));
  auto sources = second.xfer.sources(second.download);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_TRUE(sources[0].second);  // choked: the slot is the first's
  ASSERT_TRUE(net.run_for(seconds(20)));
  ASSERT_TRUE(first.done);
  ASSERT_TRUE(second.done);
  EXPECT_EQ(second.file, content);
}

// Readers in file order (`cat`) that cannot reach each other: a refusal would stall them, so the
// seed never refuses them; both read the whole file from it.
TEST(XferSwarm, ASeedNeverRefusesAReaderInFileOrder) {
  SwarmRun run = run_swarm(true, 2, false, true);
  ASSERT_GT(run.leaves, 0u);
  EXPECT_EQ(run.seed_refusals, 0u);
  EXPECT_EQ(run.seed_leaves_sent, 2 * run.leaves);
}

// Two seeds on a slow link with short pipelines, so the end is an endgame: whatever copies and
// CANCELs cross on the wire, no honest seed is taken for a liar. (The crossing itself is pinned
// down in XferDownload.EndgameAsksAgainElsewhereAndCancelsTheLoser: the simulator's links are
// all alike, so both seeds finish together and copies rarely arrive before the end.)
TEST(XferSwarm, EndgameNeverBansAnHonestSeed) {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(40)}};
  XferConfig one_at_a_time = XferPeer::small_config();  // four leaves in flight: endgame soon
  one_at_a_time.download.pipeline_bytes_min = 64 * 1024;
  one_at_a_time.download.pipeline_bytes_max = 64 * 1024;
  XferPeer a(net, 1), b(net, 2), getter(net, 3, one_at_a_time);
  Bytes content = unixfs::testing::random_bytes(600'000, 12);
  Cid root = import(a, content);
  import(b, content);
  ASSERT_TRUE(net.connect(getter.id, a.id));
  ASSERT_TRUE(net.connect(getter.id, b.id));
  getter.fetch(root, {peer(1), peer(2)});
  ASSERT_TRUE(net.run_for(seconds(60)));
  ASSERT_TRUE(getter.done);
  EXPECT_EQ(getter.file, content);
  EXPECT_TRUE(getter.misbehaved.empty());
}

// Five downloaders that upload and one that never does (it serves nothing), all fetching one
// file from a seed and from each other, each server with three upload slots (two by
// reciprocity, one optimistic). The free-rider is served only on optimistic turns and the seed's
// rotation: it has less than every uploader when the first of them is done (from then on, the slots
// that uploader held go to whoever still asks), and still finishes.
TEST(XferSwarm, AFreeRiderGetsLessThanPeersThatUploadAndStillFinishes) {
  constexpr uint8_t kUploaders = 5;
  MemoryNetwork net;
  XferConfig fair = XferPeer::small_config();
  fair.upload_slots = 3;
  fair.rechoke_interval = milliseconds(200);
  fair.optimistic_every = 2;
  XferConfig rider = fair;
  rider.serve = false;
  XferPeer seed(net, 1, fair);
  std::vector<std::unique_ptr<XferPeer>> uploaders;
  for (uint8_t n = 2; n <= 1 + kUploaders; ++n)
    uploaders.push_back(std::make_unique<XferPeer>(net, n, fair));
  XferPeer free_rider(net, 2 + kUploaders, rider);
  Bytes content = unixfs::testing::random_bytes(16'000'000, 13);
  Cid root = import(seed, content);
  std::vector<XferPeer*> all{&seed};
  for (auto& u : uploaders) all.push_back(u.get());
  all.push_back(&free_rider);
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j) ASSERT_TRUE(net.connect(all[i]->id, all[j]->id));
  for (size_t i = 1; i < all.size(); ++i) {
    all[i]->start_leaf = i * 97;
    std::vector<PeerId> from;
    for (size_t j = 0; j < all.size(); ++j)
      if (j != i) from.push_back(peer(uint8_t(j + 1)));
    all[i]->fetch(root, from);
  }
  auto leaves_of = [](XferPeer& p) {
    uint64_t n = 0;
    for (auto& [from, count] : p.leaves_from) n += count;
    return n;
  };
  // What a get's progress shows: the rider's sources, and which of them choke it.
  size_t rider_choked_max = 0, rider_sources_max = 0;
  for (int step = 0; step < 6000; ++step) {
    ASSERT_TRUE(net.run_for(milliseconds(10)));
    auto sources = free_rider.xfer.sources(free_rider.download);
    rider_sources_max = std::max(rider_sources_max, sources.size());
    rider_choked_max = std::max<size_t>(
        rider_choked_max,
        std::count_if(sources.begin(), sources.end(), [](const auto& s) { return s.second; }));
    // Compared while all compete: once an uploader is done its slots go to whoever still asks.
    if (std::any_of(uploaders.begin(), uploaders.end(), [](auto& u) { return u->done; })) break;
  }
  EXPECT_EQ(rider_sources_max, kUploaders + 1u);  // a stream to each other peer
  EXPECT_GE(rider_choked_max, 1u);                // and at times choked by some
  uint64_t rider_had = leaves_of(free_rider);
  for (auto& u : uploaders) EXPECT_GT(leaves_of(*u), rider_had);
  EXPECT_LT(rider_had, uploaders[0]->layout->leaves.size());
  ASSERT_TRUE(net.run_for(seconds(120)));
  for (auto& u : uploaders) ASSERT_TRUE(u->done);
  ASSERT_FALSE(free_rider.failed) << free_rider.failed->message;
  ASSERT_TRUE(free_rider.done);
  EXPECT_EQ(free_rider.file, content);
}

TEST(XferSwarm, ASeedThatLiesIsBannedAndTheDownloadCompletesFromAnother) {
  MemoryNetwork net;
  XferPeer honest(net, 1), liar(net, 2), getter(net, 3);
  Bytes content = unixfs::testing::random_bytes(500'000, 9);
  Cid root = import(honest, content);
  import(liar, content);
  auto layout = xfer::build_layout(liar.store, root, {});
  ASSERT_TRUE(layout);
  for (const auto& leaf : layout->leaves) liar.blocks.lie_about(leaf.cid);  // the last one
  liar.blocks.lie_about(layout->leaves[layout->leaves.size() / 2].cid);
  getter.start_leaf = layout->leaves.size() / 2;  // so the lie is asked for early
  ASSERT_TRUE(net.connect(getter.id, honest.id));
  ASSERT_TRUE(net.connect(getter.id, liar.id));
  getter.fetch(root, {peer(2), peer(1)});
  ASSERT_TRUE(net.run_for(seconds(60)));
  ASSERT_FALSE(getter.failed) << getter.failed->message;
  ASSERT_TRUE(getter.done);
  EXPECT_EQ(getter.file, content);
  ASSERT_EQ(getter.misbehaved.size(), 1u);
  EXPECT_EQ(getter.misbehaved[0], peer(2));
  EXPECT_TRUE(net.swarm(getter.id).banned(peer(2), net.now()).has_value());
}

TEST(XferSwarm, WhenASeedLeavesTheDownloadCarriesOnFromTheOthers) {
  MemoryNetwork net;
  XferPeer a(net, 1), b(net, 2), getter(net, 3);
  Bytes content = unixfs::testing::random_bytes(3'000'000, 10);
  Cid root = import(a, content);
  import(b, content);
  ASSERT_TRUE(net.connect(getter.id, a.id));
  ASSERT_TRUE(net.connect(getter.id, b.id));
  getter.fetch(root, {peer(1), peer(2)});
  for (int i = 0; i < 1000 && getter.leaves_from.size() < 2; ++i)
    ASSERT_TRUE(net.run_for(milliseconds(10)));
  net.set_online(a.id, false);
  ASSERT_TRUE(net.run_for(seconds(60)));
  ASSERT_FALSE(getter.failed) << getter.failed->message;
  ASSERT_TRUE(getter.done);
  EXPECT_EQ(getter.file, content);
  EXPECT_GT(getter.leaves_from[peer(2)], 0u);
}

TEST(XferSwarm, ARootThatIsNotAFileFailsAsUnsupported) {
  MemoryNetwork net;
  XferPeer seed(net, 1), getter(net, 2);
  PbNode dir;
  dir.data = encode_unixfs_data(UnixfsData{.type = UnixfsType::directory});
  Bytes block = encode_dag_pb(dir);
  Cid root = Cid::v1(kCodecDagPb, multihash_sha2_256(block));
  ASSERT_TRUE(seed.store.put(root, block));
  ASSERT_TRUE(net.connect(getter.id, seed.id));
  getter.fetch(root, {peer(1)});
  ASSERT_TRUE(net.run_for(seconds(10)));
  ASSERT_TRUE(getter.failed);
  EXPECT_EQ(getter.failed->code, Errc::unsupported);
  EXPECT_TRUE(getter.misbehaved.empty());
}

TEST(XferSwarm, NobodyHoldingTheFileEndsTheDownloadWithAnError) {
  MemoryNetwork net;
  XferPeer seed(net, 1), getter(net, 2);
  Cid root = Cid::of(as_bytes("nobody has this"));
  ASSERT_TRUE(net.connect(getter.id, seed.id));
  getter.fetch(root, {peer(1)});
  ASSERT_TRUE(net.run_for(seconds(10)));
  ASSERT_TRUE(getter.failed);
  EXPECT_FALSE(getter.done);
}

TEST(XferSwarm, ResumedDownloadsAskOnlyForWhatIsMissing) {
  MemoryNetwork net;
  XferPeer seed(net, 1), getter(net, 2);
  Bytes content = unixfs::testing::random_bytes(800'000, 11);
  Cid root = import(seed, content);
  auto layout = xfer::build_layout(seed.store, root, {});
  ASSERT_TRUE(layout);
  size_t half = layout->leaves.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    const Cid& c = layout->leaves[i].cid;
    ASSERT_TRUE(getter.store.put(c, *seed.store.get(c)));
  }
  ASSERT_TRUE(net.connect(getter.id, seed.id));
  getter.fetch(root, {peer(1)});
  ASSERT_TRUE(net.run_for(seconds(30)));
  ASSERT_TRUE(getter.done);
  EXPECT_EQ(getter.file, content);
  EXPECT_EQ(seed.xfer.stats().leaves_sent, layout->leaves.size() - half);
}

}  // namespace
}  // namespace agora::sim
