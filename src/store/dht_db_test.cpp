#include "store/dht_db.h"

#include <gtest/gtest.h>

#include "store/pin_store.h"
#include "store/test_dir.h"

namespace agora::store {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
Bytes key(uint8_t n) { return Bytes{0x12, 0x20, n, n, n}; }
Bytes addr(uint8_t n) { return Bytes{0x04, 10, 0, 0, n, 0x06, 0x0f, 0xa1}; }

std::unique_ptr<DhtDb> open_db(const std::filesystem::path& path) {
  auto r = DhtDb::open(path);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(DhtDb, RoundTripAcrossReopen) {
  TestDir dir;
  const auto path = dir.path() / kDatabaseFile;
  const int64_t now = 1000 * kHourMs;
  std::vector<DhtProviderRow> providers = {{key(1), peer(1), {addr(1), addr(2)}, now - 5},
                                           {key(1), peer(2), {}, now - 10},
                                           {key(2), peer(1), {addr(3)}, now - 1}};
  std::vector<DhtProvidedRow> provided = {{key(7), now - 100}, {key(8), now - 50}};
  std::vector<DhtRoutingRow> routing = {{peer(3), {addr(4)}}, {peer(4), {addr(5), addr(6)}}};
  {
    auto db = open_db(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->put_providers(providers).ok());
    ASSERT_TRUE(db->replace_provided(provided).ok());
    ASSERT_TRUE(db->replace_routing(routing).ok());
  }
  auto db = open_db(path);  // a restart
  ASSERT_TRUE(db);
  auto loaded = db->load({}, now);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->rows_skipped, 0u);
  ASSERT_EQ(loaded->providers.size(), 3u);
  EXPECT_EQ(loaded->providers[0], providers[2]);  // newest first
  EXPECT_EQ(loaded->providers[1], providers[0]);
  EXPECT_EQ(loaded->providers[2], providers[1]);
  ASSERT_EQ(loaded->provided.size(), 2u);
  EXPECT_EQ(loaded->provided[0], provided[1]);
  std::sort(loaded->routing.begin(), loaded->routing.end(),
            [](const auto& a, const auto& b) { return a.peer < b.peer; });
  std::sort(routing.begin(), routing.end(),
            [](const auto& a, const auto& b) { return a.peer < b.peer; });
  EXPECT_EQ(loaded->routing, routing);
}

TEST(DhtDb, EvictedProvidersAreDeletedAndGroupsKept) {
  TestDir dir;
  const auto path = dir.path() / kDatabaseFile;
  const int64_t now = 1000 * kHourMs;
  const Bytes net{4, 10, 0, 1};
  std::vector<DhtProviderRow> rows = {{key(1), peer(1), {}, now - 3, net},
                                      {key(1), peer(2), {}, now - 2, {}},
                                      {key(2), peer(1), {}, now - 1, net}};
  {
    auto db = open_db(path);
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->put_providers(rows).ok());
    std::vector<DhtProviderId> evicted = {{key(1), peer(1)}, {key(9), peer(9)}};
    ASSERT_TRUE(db->delete_providers(evicted).ok());
    EXPECT_EQ(db->provider_count().value(), 2u);
  }
  auto db = open_db(path);
  ASSERT_TRUE(db);
  auto loaded = db->load({}, now);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  ASSERT_EQ(loaded->providers.size(), 2u);
  EXPECT_EQ(loaded->providers[0], rows[2]);  // the group comes back too
  EXPECT_EQ(loaded->providers[1], rows[1]);
}

TEST(DhtDb, ProvidersExpireAfterValidityAndReplaceByKeyAndPeer) {
  TestDir dir;
  auto db = open_db(dir.path() / kDatabaseFile);
  ASSERT_TRUE(db);
  const int64_t now = 1000 * kHourMs;
  std::vector<DhtProviderRow> rows = {{key(1), peer(1), {}, now - 49 * kHourMs},
                                      {key(1), peer(2), {}, now - 47 * kHourMs}};
  ASSERT_TRUE(db->put_providers(rows).ok());
  // The same (key, peer) again replaces the row: it was re-added.
  std::vector<DhtProviderRow> again = {{key(1), peer(2), {addr(9)}, now - kHourMs}};
  ASSERT_TRUE(db->put_providers(again).ok());
  EXPECT_EQ(*db->provider_count(), 2u);
  auto loaded = db->load({}, now);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->providers_expired, 1u);
  ASSERT_EQ(loaded->providers.size(), 1u);
  EXPECT_EQ(loaded->providers[0], again[0]);
  EXPECT_EQ(*db->provider_count(), 1u);
  EXPECT_EQ(*db->expire_providers(now), 1u);
  EXPECT_EQ(*db->provider_count(), 0u);
}

TEST(DhtDb, ReplaceClearsTheOldListAndLoadTrimsToLimits) {
  TestDir dir;
  auto db = open_db(dir.path() / kDatabaseFile);
  ASSERT_TRUE(db);
  std::vector<DhtRoutingRow> first = {{peer(1), {}}, {peer(2), {}}, {peer(3), {}}};
  ASSERT_TRUE(db->replace_routing(first).ok());
  std::vector<DhtRoutingRow> second = {{peer(4), {addr(1)}}};
  ASSERT_TRUE(db->replace_routing(second).ok());
  std::vector<DhtProvidedRow> provided;
  for (uint8_t i = 0; i < 10; ++i) provided.push_back({key(i), int64_t(i)});
  ASSERT_TRUE(db->replace_provided(provided).ok());
  DhtDbLimits limits;
  limits.provided_max = 3;
  auto loaded = db->load(limits, 100);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->routing, second);
  ASSERT_EQ(loaded->provided.size(), 3u);
  EXPECT_EQ(loaded->provided[0].key, key(9));
  // Trimmed in the database too.
  auto again = db->load({}, 100);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->provided.size(), 3u);
}

TEST(DhtDb, UndecodableRowsAreSkipped) {
  TestDir dir;
  const auto path = dir.path() / kDatabaseFile;
  ASSERT_TRUE(open_db(path));
  {
    auto raw = SqliteDb::open(path);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)
                    ->exec("INSERT INTO dht_routing VALUES(x'0102', x'');"
                           "INSERT INTO dht_providers(key, peer, addrs, added_ms) VALUES(x'1220', "
                           "x'0024', x'', 5);"
                           "INSERT INTO dht_provided VALUES(x'', 5);")
                    .ok());
    // A good peer with a truncated address list.
    auto stmt = (*raw)->prepare("INSERT INTO dht_routing VALUES(?1, x'0a0102')");
    ASSERT_TRUE(stmt.ok());
    stmt->bind(1, BytesView(peer(1).bytes()));
    ASSERT_TRUE(stmt->run().ok());
  }
  auto db = open_db(path);
  auto loaded = db->load({}, 10);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_TRUE(loaded->routing.empty());
  EXPECT_TRUE(loaded->providers.empty());
  EXPECT_TRUE(loaded->provided.empty());
  EXPECT_EQ(loaded->rows_skipped, 4u);
}

TEST(DhtDb, AddressBlobBounds) {
  std::vector<Bytes> addrs = {addr(1), addr(2), addr(3)};
  Bytes blob = pack_dht_addrs(addrs);
  EXPECT_EQ(*unpack_dht_addrs(blob, 8, 256), addrs);
  EXPECT_EQ(unpack_dht_addrs(blob, 2, 256)->size(), 2u);
  EXPECT_FALSE(unpack_dht_addrs(blob, 8, 4).ok());  // an address over addr_bytes_max
  blob.pop_back();
  EXPECT_FALSE(unpack_dht_addrs(blob, 8, 256).ok());
}

}  // namespace
}  // namespace agora::store
