#include "store/peer_db.h"

#include <gtest/gtest.h>

#include "store/pin_store.h"
#include "store/test_blocks.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
Multiaddr ma(std::string_view text) { return Multiaddr::parse(text).value(); }

std::unique_ptr<PeerDb> open_db(const std::filesystem::path& path) {
  auto r = PeerDb::open(path);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

host::PeerRecord record(uint8_t n, int64_t last_seen_ms) {
  host::PeerRecord r;
  r.peer = peer(n);
  r.addrs = {{ma("/ip4/10.0.0." + std::to_string(n) + "/tcp/4001"), last_seen_ms},
             {ma("/ip6/fd00::" + std::to_string(n) + "/tcp/4001"), last_seen_ms - 5}};
  r.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"};
  r.agent = "agora/0.1.0";
  r.first_seen_ms = last_seen_ms - 100;
  r.last_seen_ms = last_seen_ms;
  r.latency_us = 1234;
  r.sources = bit(host::PeerSource::mdns) | bit(host::PeerSource::inbound);
  return r;
}

TEST(PeerDb, SaveLoadRoundTripNewestFirst) {
  TestDir dir;
  auto path = dir.path() / "agora.db";
  {
    auto db = open_db(path);
    ASSERT_TRUE(db);
    host::PeerRecord no_latency = record(2, 2000);
    no_latency.latency_us.reset();
    no_latency.protocols.clear();
    std::vector<host::PeerRecord> batch = {record(1, 1000), no_latency};
    ASSERT_TRUE(db->save(batch, {}).ok());
  }
  auto db = open_db(path);  // a restart
  ASSERT_TRUE(db);
  auto loaded = db->load({});
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  ASSERT_EQ(loaded->peers.size(), 2u);
  EXPECT_EQ(loaded->rows_skipped, 0u);
  EXPECT_EQ(loaded->peers[0].peer, peer(2));
  EXPECT_FALSE(loaded->peers[0].latency_us);
  EXPECT_TRUE(loaded->peers[0].protocols.empty());
  EXPECT_EQ(loaded->peers[1], record(1, 1000));
}

TEST(PeerDb, SaveReplacesAndRemoves) {
  TestDir dir;
  auto db = open_db(dir.path() / "agora.db");
  ASSERT_TRUE(db);
  std::vector<host::PeerRecord> first = {record(1, 1000), record(2, 1000)};
  ASSERT_TRUE(db->save(first, {}).ok());
  host::PeerRecord updated = record(1, 3000);
  updated.addrs = {{ma("/ip4/192.168.1.1/tcp/1"), 3000}};
  updated.protocols = {"/x/1"};
  std::vector<host::PeerRecord> second = {updated};
  std::vector<PeerId> removed = {peer(2)};
  ASSERT_TRUE(db->save(second, removed).ok());
  auto loaded = db->load({});
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->peers.size(), 1u);
  EXPECT_EQ(loaded->peers[0], updated);
  EXPECT_EQ(*db->count(), 1u);
}

TEST(PeerDb, LoadTrimsToLimits) {
  TestDir dir;
  auto db = open_db(dir.path() / "agora.db");
  ASSERT_TRUE(db);
  std::vector<host::PeerRecord> batch;
  for (uint8_t i = 1; i <= 5; ++i) batch.push_back(record(i, 1000 + i));
  ASSERT_TRUE(db->save(batch, {}).ok());
  auto loaded = db->load({.peers_max = 3, .addrs_per_peer_max = 1, .protocols_per_peer_max = 1});
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->peers.size(), 3u);
  EXPECT_EQ(loaded->peers[0].peer, peer(5));
  EXPECT_EQ(loaded->peers[2].peer, peer(3));
  ASSERT_EQ(loaded->peers[0].addrs.size(), 1u);
  EXPECT_EQ(loaded->peers[0].addrs[0].addr, ma("/ip4/10.0.0.5/tcp/4001"));  // the newest
  EXPECT_EQ(loaded->peers[0].protocols, (std::vector<std::string>{"/ipfs/id/1.0.0"}));
  // What was over the limits is gone from the file too.
  EXPECT_EQ(*db->count(), 3u);
  auto again = db->load({});
  ASSERT_EQ(again->peers.size(), 3u);
  EXPECT_EQ(again->peers[0].addrs.size(), 1u);
}

TEST(PeerDb, SkipsRowsThatDoNotDecode) {
  TestDir dir;
  auto path = dir.path() / "agora.db";
  auto db = open_db(path);
  ASSERT_TRUE(db);
  std::vector<host::PeerRecord> batch = {record(1, 1000)};
  ASSERT_TRUE(db->save(batch, {}).ok());
  {
    // Another writer (or a disk) left garbage behind.
    auto raw = SqliteDb::open(path);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)
                    ->exec("INSERT INTO peers VALUES(x'0102', 0, 5000, -1, 0, '');"
                           "INSERT INTO peer_addrs SELECT peer, x'ffff', 9999 FROM peers "
                           "WHERE agent != '';")
                    .ok());
  }
  auto loaded = db->load({});
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  ASSERT_EQ(loaded->peers.size(), 1u);
  EXPECT_EQ(loaded->peers[0], record(1, 1000));
  EXPECT_EQ(loaded->rows_skipped, 2u);
}

TEST(PeerDb, SharesTheFileWithPins) {
  TestDir dir;
  auto path = dir.path() / "agora.db";
  auto pins = PinStore::open(path);
  ASSERT_TRUE(pins.ok());
  ASSERT_TRUE((*pins)->add(raw_cid(test_block(8, 1)), PinType::direct).ok());
  auto db = open_db(path);
  ASSERT_TRUE(db);
  std::vector<host::PeerRecord> batch = {record(1, 1)};
  ASSERT_TRUE(db->save(batch, {}).ok());
  EXPECT_EQ((*pins)->list()->size(), 1u);
  auto raw = SqliteDb::open(path);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*(*raw)->schema_version("peers"), 1);
  EXPECT_EQ(*(*raw)->schema_version("pins"), 1);
}

}  // namespace
}  // namespace agora::store
