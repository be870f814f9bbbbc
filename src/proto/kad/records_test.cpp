#include "proto/kad/records.h"

#include <gtest/gtest.h>

#include "proto/kad/providers.h"
#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

using test::kT0;

TEST(KadRecords, ValidPkRecord) {
  test::PkRecord pk = test::pk_record(7);
  EXPECT_EQ(pk.id.to_string().substr(0, 8), "12D3KooW");
  EXPECT_TRUE(validate_record(pk.record).ok());
  EXPECT_EQ(record_namespace(pk.record.key).value(), "pk");
}

TEST(KadRecords, PkRecordForAnotherPeerIsInvalid) {
  test::PkRecord a = test::pk_record(1);
  test::PkRecord b = test::pk_record(2);
  Record swapped{a.record.key, b.record.value, {}};
  auto st = validate_record(swapped);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_input);

  Record garbage_value{a.record.key, to_bytes("not a key"), {}};
  EXPECT_FALSE(validate_record(garbage_value).ok());
  Record garbage_key{to_bytes("/pk/xyz"), a.record.value, {}};
  EXPECT_FALSE(validate_record(garbage_key).ok());
}

TEST(KadRecords, UnknownNamespaceRejected) {
  test::PkRecord a = test::pk_record(1);
  Bytes ipns_key = to_bytes("/ipns/");
  append(ipns_key, a.id.bytes());
  auto st = validate_record(Record{ipns_key, a.record.value, {}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::unsupported);
  EXPECT_NE(st.error().message.find("ipns"), std::string::npos);
  EXPECT_FALSE(validate_record(Record{to_bytes("no-namespace"), {}, {}}).ok());
  EXPECT_FALSE(validate_record(Record{to_bytes("//x"), {}, {}}).ok());
  EXPECT_FALSE(validate_record(Record{to_bytes("/pk"), {}, {}}).ok());
}

TEST(KadRecords, StoreValidatesBoundsAndExpires) {
  RecordStore store(RecordStoreConfig{2, std::chrono::hours(36)});
  test::PkRecord a = test::pk_record(1), b = test::pk_record(2), c = test::pk_record(3);
  EXPECT_FALSE(store.put(Record{a.record.key, b.record.value, {}}, kT0).ok());
  EXPECT_EQ(store.size(), 0u);
  ASSERT_TRUE(store.put(a.record, kT0).ok());
  ASSERT_TRUE(store.put(b.record, test::at(std::chrono::hours(1))).ok());
  auto full = store.put(c.record, kT0);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, Errc::limit);
  EXPECT_EQ(store.get(a.record.key, kT0)->value, a.record.value);
  EXPECT_FALSE(store.get(c.record.key, kT0));
  // a expires at 36 h; b (stored an hour later) lives on, and c now fits.
  EXPECT_FALSE(store.get(a.record.key, test::at(std::chrono::hours(36))));
  EXPECT_TRUE(store.get(b.record.key, test::at(std::chrono::hours(36))));
  EXPECT_TRUE(store.put(c.record, test::at(std::chrono::hours(36))).ok());
  EXPECT_EQ(store.size(), 2u);
}

TEST(KadProviders, AddGetAndRefresh) {
  ProviderStore store;
  const Bytes key = test::content_key("a");
  const PeerId p1 = test::peer(1), p2 = test::peer(2);
  ASSERT_TRUE(store.add(key, test::info(p1), {}, kT0).ok());
  ASSERT_TRUE(store.add(key, test::info(p2), {}, test::at(seconds(1))).ok());
  std::vector<PeerInfo> got = store.providers(key, test::at(seconds(2)));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, p2);  // most recent first
  EXPECT_EQ(got[1].id, p1);
  EXPECT_EQ(got[1].addrs.size(), 1u);
  EXPECT_TRUE(store.providers(test::content_key("b"), kT0).empty());
  // Adding again refreshes instead of duplicating.
  ASSERT_TRUE(store.add(key, PeerInfo{p1, {}}, {}, test::at(seconds(3))).ok());
  got = store.providers(key, test::at(seconds(4)));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, p1);
  EXPECT_EQ(got[0].addrs.size(), 1u);  // addresses kept when the refresh has none
  EXPECT_EQ(store.record_count(), 2u);
}

TEST(KadProviders, ExpireAfter48HoursAndAddressesAfter30Minutes) {
  ProviderStore store;
  const Bytes key = test::content_key("a");
  ASSERT_TRUE(store.add(key, test::info(test::peer(1)), {}, kT0).ok());
  EXPECT_EQ(store.providers(key, test::at(std::chrono::minutes(29)))[0].addrs.size(), 1u);
  EXPECT_TRUE(store.providers(key, test::at(std::chrono::minutes(30)))[0].addrs.empty());
  EXPECT_EQ(store.providers(key, test::at(std::chrono::hours(48) - seconds(1))).size(), 1u);
  EXPECT_TRUE(store.providers(key, test::at(std::chrono::hours(48))).empty());
  EXPECT_EQ(store.key_count(), 1u);
  store.expire(test::at(std::chrono::hours(48)));
  EXPECT_EQ(store.key_count(), 0u);
  EXPECT_EQ(store.record_count(), 0u);
}

TEST(KadProviders, CapsPerKeyAndRecords) {
  ProviderStoreConfig config;
  config.records_max = 4;
  config.providers_per_key_max = 3;
  config.addrs_per_provider_max = 1;
  ProviderStore store(config);
  const Bytes key = test::content_key("a");
  for (uint64_t i = 1; i <= 3; ++i)
    ASSERT_TRUE(store.add(key, test::info(test::peer(i)), {}, test::at(seconds(i))).ok());
  // A full key takes a newcomer in place of its oldest record.
  ASSERT_TRUE(store.add(key, test::info(test::peer(4)), {}, test::at(seconds(4))).ok());
  EXPECT_EQ(store.take_evicted(), (std::vector<EvictedProvider>{{key, test::peer(1)}}));
  EXPECT_EQ(store.providers(key, test::at(seconds(5))).size(), 3u);
  // An existing provider may still refresh.
  EXPECT_TRUE(store.add(key, test::info(test::peer(2)), {}, test::at(seconds(6))).ok());
  EXPECT_TRUE(store.take_evicted().empty());

  ASSERT_TRUE(store.add(test::content_key("b"), test::info(test::peer(1)), {}, kT0).ok());
  EXPECT_EQ(store.record_count(), 4u);
  // records_max: the newcomer gets in (each peer is its own group here; one is evicted).
  ASSERT_TRUE(
      store.add(test::content_key("c"), test::info(test::peer(5)), {}, test::at(seconds(7))).ok());
  EXPECT_EQ(store.record_count(), 4u);
  EXPECT_EQ(store.take_evicted().size(), 1u);

  PeerInfo many{test::peer(9), {Bytes(4, 1), Bytes(4, 2)}};
  ASSERT_TRUE(store.add(test::content_key("d"), many, {}, test::at(seconds(8))).ok());
  EXPECT_EQ(store.providers(test::content_key("d"), test::at(seconds(8)))[0].addrs.size(), 1u);
}

}  // namespace
}  // namespace agora::kad
