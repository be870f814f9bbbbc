// Restoring persisted state into a Kad core (a restarted daemon), and what QueryStep reports.
#include <gtest/gtest.h>

#include "proto/kad/kad.h"
#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

using std::chrono::hours;
using test::at;
using test::info;
using test::kT0;

Message request(MessageType type, Bytes key) {
  Message m;
  m.type = type;
  m.key = std::move(key);
  return m;
}

size_t providers_listed(Kad& kad, const Bytes& key, Instant now) {
  auto r = kad.handle_request(test::peer(77), request(MessageType::get_providers, key), now);
  EXPECT_TRUE(r.ok());
  return r.ok() && *r ? (*r)->provider_peers.size() : 0;
}

TEST(KadRestore, ProviderRecordKeepsItsAgeAndExpiresOnTime) {
  Kad kad(test::peer(0));
  const Bytes key = test::content_key("file");
  const Instant now = at(hours(40));
  // Added 40 h before `now`: 8 h left of its 48 h.
  ASSERT_TRUE(kad.restore_provider(key, info(test::peer(3)), at(Duration::zero()), now).ok());
  EXPECT_EQ(providers_listed(kad, key, now), 1u);
  EXPECT_EQ(providers_listed(kad, key, at(hours(47))), 1u);
  EXPECT_EQ(providers_listed(kad, key, at(hours(48))), 0u);
}

TEST(KadRestore, RefusesExpiredFutureAndBadKeys) {
  Kad kad(test::peer(0));
  const Bytes key = test::content_key("file");
  const Instant now = at(hours(50));
  EXPECT_EQ(kad.restore_provider(key, info(test::peer(3)), kT0, now).error().code,
            Errc::invalid_input);  // 50 h old
  EXPECT_FALSE(kad.restore_provider(key, info(test::peer(3)), at(hours(51)), now).ok());
  EXPECT_FALSE(
      kad.restore_provider(to_bytes("not a multihash"), info(test::peer(3)), now, now).ok());
  EXPECT_FALSE(kad.restore_provided(to_bytes("not a multihash"), now, now).ok());
  EXPECT_EQ(providers_listed(kad, key, now), 0u);
}

TEST(KadRestore, ProvidedKeyIsListedAndRepublishedOnSchedule) {
  KadConfig config;
  Kad kad(test::peer(0), config);
  for (uint64_t i = 1; i <= 5; ++i)
    kad.on_peer_connected(info(test::peer(i)), true, Direction::outbound, kT0);
  while (kad.poll_outbound()) {
  }
  const Bytes key = test::content_key("mine");
  // Provided 20 h before the restart: republish due 2 h after it.
  const Instant now = at(hours(20));
  ASSERT_TRUE(kad.restore_provided(key, kT0, now).ok());
  EXPECT_EQ(kad.provided().at(key), kT0);
  EXPECT_EQ(providers_listed(kad, key, now), 1u);  // ourselves
  const Instant due = kT0 + config.provider_republish;
  ASSERT_TRUE(kad.next_timer());
  EXPECT_LE(*kad.next_timer(), due);
  kad.on_timer(now + hours(1));  // provider cleanup
  kad.on_timer(due - std::chrono::milliseconds(1));
  EXPECT_FALSE(kad.poll_outbound());  // not yet
  kad.on_timer(due);
  auto r = kad.poll_outbound();
  ASSERT_TRUE(r);  // the provide's lookup started
  EXPECT_EQ(r->message.type, MessageType::find_node);
  EXPECT_EQ(r->message.key, key);
  EXPECT_EQ(kad.provided().at(key), due);
}

TEST(KadRestore, OldProvidedKeyIsRepublishedAtOnce) {
  Kad kad(test::peer(0));
  kad.on_peer_connected(info(test::peer(1)), true, Direction::outbound, kT0);
  while (kad.poll_outbound()) {
  }
  const Bytes key = test::content_key("old");
  const Instant now = at(hours(60));
  ASSERT_TRUE(kad.restore_provided(key, kT0, now).ok());
  EXPECT_EQ(providers_listed(kad, key, now), 0u);  // our record expired with the 48 h
  ASSERT_TRUE(kad.next_timer());
  EXPECT_LE(*kad.next_timer(), now);
  kad.on_timer(now);
  EXPECT_TRUE(kad.poll_outbound());
  EXPECT_EQ(providers_listed(kad, key, now), 1u);  // provided again
}

TEST(KadRestore, QueryStepCarriesTheAnswer) {
  Kad kad(test::peer(0));
  kad.on_peer_connected(info(test::peer(1)), true, Direction::outbound, kT0);
  while (kad.poll_event()) {
  }
  const Bytes key = test::content_key("x");
  auto q = kad.get_providers(key, kT0);
  ASSERT_TRUE(q.ok());
  auto r = kad.poll_outbound();
  ASSERT_TRUE(r);
  Message answer = request(MessageType::get_providers, key);
  answer.closer_peers = {to_peer(info(test::peer(2))), to_peer(info(test::peer(3))),
                         to_peer(info(kad.self()))};
  answer.provider_peers = {to_peer(info(test::peer(9)))};
  kad.on_response(r->id, answer, kT0 + std::chrono::milliseconds(5));
  auto steps = test::events_of<QueryStep>(kad);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0].peer, test::peer(1));
  EXPECT_EQ(steps[0].took, std::chrono::milliseconds(5));
  EXPECT_EQ(steps[0].closer_ids, (std::vector<PeerId>{test::peer(2), test::peer(3)}));
  EXPECT_EQ(steps[0].closer_peers, 2u);
  EXPECT_EQ(steps[0].providers, 1u);
  EXPECT_FALSE(steps[0].record);
}

}  // namespace
}  // namespace agora::kad
