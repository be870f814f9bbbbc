#include "proto/bitswap/client.h"

#include <gtest/gtest.h>

#include "proto/bitswap/test_util.h"

namespace agora::bitswap {
namespace {

using namespace test;
using std::chrono::seconds;

const Instant t0{};

Message presences(std::vector<Presence> list) {
  Message m;
  m.presences = std::move(list);
  return m;
}
Message haves(const std::vector<Cid>& cids) {
  Message m;
  for (const Cid& c : cids) m.presences.push_back({c, PresenceType::have});
  return m;
}
Message dont_have(const Cid& cid) { return presences({{cid, PresenceType::dont_have}}); }
Message blocks_msg(std::vector<std::string> names) {
  Message m;
  for (const auto& n : names) m.blocks.push_back(Block{cid_of(n), block_data(n)});
  return m;
}

class ClientTest : public ::testing::Test {
 protected:
  void connect(Client& c, std::initializer_list<PeerId> peers) {
    for (const PeerId& p : peers) ASSERT_TRUE(c.on_peer_connected(p, now).ok());
  }
  // Everything queued for each peer, in order.
  std::map<PeerId, std::vector<WantEntry>> drain(Client& c) {
    std::map<PeerId, std::vector<WantEntry>> out;
    while (auto o = c.poll_outbound()) {
      auto& list = out[o->peer];
      list.insert(list.end(), o->message.wantlist.begin(), o->message.wantlist.end());
      full_seen[o->peer] = full_seen[o->peer] || o->message.full_wantlist;
    }
    return out;
  }
  std::vector<ClientEvent> events(Client& c) {
    std::vector<ClientEvent> out;
    while (auto e = c.poll_event()) out.push_back(std::move(*e));
    return out;
  }
  static std::vector<Cid> cids_of(const std::vector<WantEntry>& entries, WantType type,
                                  bool cancel = false) {
    std::vector<Cid> out;
    for (const WantEntry& e : entries)
      if (e.cancel == cancel && (cancel || e.type == type)) out.push_back(e.cid);
    return out;
  }

  Instant now = t0;
  PeerId a = peer(1), b = peer(2), c3 = peer(3);
  std::map<PeerId, bool> full_seen;
};

TEST_F(ClientTest, AsksEveryPeerWantHaveWithDontHave) {
  Client c;
  connect(c, {a, b, c3});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  auto out = drain(c);
  ASSERT_EQ(out.size(), 3u);
  for (auto& [p, entries] : out) {
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].cid, x);
    EXPECT_EQ(entries[0].type, WantType::have);
    EXPECT_TRUE(entries[0].send_dont_have);
    EXPECT_FALSE(entries[0].cancel);
  }
}

TEST_F(ClientTest, WantBlockGoesToAPeerThatSaidHave) {
  Client c;
  connect(c, {a, b, c3});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(b, haves({x}), now);
  auto out = drain(c);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[b].size(), 1u);
  EXPECT_EQ(out[b][0].type, WantType::block);
  EXPECT_TRUE(out[b][0].send_dont_have);
  EXPECT_EQ(c.want_blocks_in_flight(), 1u);
}

TEST_F(ClientTest, SpreadsWantBlocksAcrossPeers) {
  ClientConfig cfg;
  cfg.peer_want_blocks_in_flight_max = 10;
  Client c(cfg);
  connect(c, {a, b, c3});
  std::vector<Cid> cids;
  for (int i = 0; i < 30; ++i) cids.push_back(cid_of("block" + std::to_string(i)));
  ASSERT_TRUE(c.want(cids, now).ok());
  drain(c);
  // Everyone has everything; the first to answer fills its slots, the others take the rest.
  for (const PeerId& p : {a, b, c3}) c.on_message(p, haves(cids), now);
  auto out = drain(c);
  for (const PeerId& p : {a, b, c3}) EXPECT_EQ(cids_of(out[p], WantType::block).size(), 10u);
  // Freed slots go to the least loaded candidate.
  std::vector<Cid> more;
  for (int i = 0; i < 6; ++i) more.push_back(cid_of("more" + std::to_string(i)));
  ASSERT_TRUE(c.want(more, now).ok());
  drain(c);
  for (const PeerId& p : {a, b, c3}) c.on_message(p, haves(more), now);
  EXPECT_TRUE(drain(c).empty());  // everyone is full
  std::vector<Cid> sent_to_a = cids_of(out[a], WantType::block);
  Message delivery;
  for (int i = 0; i < 30; ++i)
    if (std::count(sent_to_a.begin(), sent_to_a.begin() + 3, cids[size_t(i)]))
      delivery.blocks.push_back(Block{cids[size_t(i)], block_data("block" + std::to_string(i))});
  ASSERT_EQ(delivery.blocks.size(), 3u);
  c.on_message(a, delivery, now);
  auto next = drain(c);
  EXPECT_EQ(cids_of(next[a], WantType::block).size(), 3u);  // only a has free slots
  EXPECT_TRUE(cids_of(next[b], WantType::block).empty());
  c.on_message(b, dont_have(cids_of(next[a], WantType::block)[0]), now);  // b lacks one
  EXPECT_TRUE(drain(c).empty());
}

TEST_F(ClientTest, APeerThatDeliveredGetsNewWantsAsWantBlocksDirectly) {
  Client c;
  connect(c, {a, b});
  Cid x = cid_of("x"), y = cid_of("y"), z = cid_of("z");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(a, haves({x}), now);
  drain(c);
  c.on_message(a, blocks_msg({"x"}), now);  // a has proven itself
  drain(c);
  ASSERT_TRUE(c.want(std::vector<Cid>{y}, now).ok());
  auto out = drain(c);
  EXPECT_EQ(cids_of(out[a], WantType::block), std::vector<Cid>{y});
  EXPECT_TRUE(out[a][0].send_dont_have);
  EXPECT_EQ(cids_of(out[b], WantType::have), std::vector<Cid>{y});  // b may stand in
  EXPECT_TRUE(cids_of(out[b], WantType::block).empty());

  // DONT_HAVE from a: y fails over to b once b says HAVE, and a loses the shortcut.
  c.on_message(a, dont_have(y), now);
  c.on_message(b, haves({y}), now);
  out = drain(c);
  EXPECT_EQ(cids_of(out[b], WantType::block), std::vector<Cid>{y});
  ASSERT_TRUE(c.want(std::vector<Cid>{z}, now).ok());
  out = drain(c);
  EXPECT_EQ(cids_of(out[a], WantType::have), std::vector<Cid>{z});
  EXPECT_EQ(cids_of(out[b], WantType::have), std::vector<Cid>{z});
}

TEST_F(ClientTest, PerPeerAndGlobalCaps) {
  ClientConfig cfg;
  cfg.peer_want_blocks_in_flight_max = 4;
  cfg.want_blocks_in_flight_max = 6;
  Client c(cfg);
  connect(c, {a, b});
  std::vector<Cid> cids;
  for (int i = 0; i < 10; ++i) cids.push_back(cid_of(std::to_string(i)));
  ASSERT_TRUE(c.want(cids, now).ok());
  drain(c);
  c.on_message(a, haves(cids), now);
  EXPECT_EQ(cids_of(drain(c)[a], WantType::block).size(), 4u);
  c.on_message(b, haves(cids), now);
  EXPECT_EQ(cids_of(drain(c)[b], WantType::block).size(), 2u);  // global cap: 6
  EXPECT_EQ(c.want_blocks_in_flight(), 6u);
  // One arrives from a: a slot frees and the next want-block goes out.
  c.on_message(a, blocks_msg({"0"}), now);
  auto out = drain(c);
  EXPECT_EQ(c.want_blocks_in_flight(), 6u);
  EXPECT_EQ(cids_of(out[a], WantType::block).size() + cids_of(out[b], WantType::block).size(), 1u);
}

TEST_F(ClientTest, BlockArrivalEmitsEventAndCancelsElsewhere) {
  Client c;
  connect(c, {a, b, c3});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(b, haves({x}), now);
  drain(c);
  c.on_message(b, blocks_msg({"x"}), now);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  auto* got = std::get_if<BlockReceived>(&ev[0]);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->cid, x);
  EXPECT_EQ(got->data, block_data("x"));
  EXPECT_EQ(got->from, b);
  auto out = drain(c);
  EXPECT_EQ(cids_of(out[a], WantType::block, true), std::vector<Cid>{x});
  EXPECT_EQ(cids_of(out[c3], WantType::block, true), std::vector<Cid>{x});
  EXPECT_FALSE(out.count(b));  // the sender has answered already
  EXPECT_FALSE(c.is_wanted(x));
  EXPECT_EQ(c.want_blocks_in_flight(), 0u);
  EXPECT_EQ(c.peer_stats(b)->blocks_received, 1u);
  EXPECT_GT(c.peer_stats(b)->score, 0);
}

TEST_F(ClientTest, FailsOverOnDontHave) {
  Client c;
  connect(c, {a, b});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(a, haves({x}), now);
  c.on_message(b, haves({x}), now);
  auto out = drain(c);
  PeerId first = out.count(a) ? a : b, second = first == a ? b : a;
  ASSERT_EQ(cids_of(out[first], WantType::block), std::vector<Cid>{x});
  c.on_message(first, dont_have(x), now);
  out = drain(c);
  EXPECT_EQ(cids_of(out[second], WantType::block), std::vector<Cid>{x});
  EXPECT_EQ(c.peer_stats(first)->score, -1);  // said HAVE, then could not deliver
}

TEST_F(ClientTest, FailsOverOnTimeout) {
  ClientConfig cfg;
  Client c(cfg);
  connect(c, {a, b});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(a, haves({x}), now);
  EXPECT_EQ(cids_of(drain(c)[a], WantType::block), std::vector<Cid>{x});
  now += seconds(1);
  c.on_message(b, haves({x}), now);
  EXPECT_TRUE(drain(c).empty());  // a holds the want-block
  ASSERT_TRUE(c.next_timer());
  EXPECT_EQ(*c.next_timer(), t0 + cfg.want_block_timeout);
  now = *c.next_timer();
  c.on_timer(now);
  EXPECT_EQ(cids_of(drain(c)[b], WantType::block), std::vector<Cid>{x});
  EXPECT_EQ(c.peer_stats(a)->timeouts, 1u);
  EXPECT_LT(c.peer_stats(a)->score, 0);
  // a's late block is still welcome: the content is verified.
  c.on_message(a, blocks_msg({"x"}), now);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<BlockReceived>(ev[0]).from, a);
  EXPECT_EQ(cids_of(drain(c)[b], WantType::block, true), std::vector<Cid>{x});
}

TEST_F(ClientTest, StallsWhenNobodyHasItAndAsksAgainLater) {
  ClientConfig cfg;
  Client c(cfg);
  connect(c, {a, b});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(a, dont_have(x), now);
  EXPECT_TRUE(events(c).empty());  // b has not answered
  c.on_message(b, dont_have(x), now);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<WantStalled>(ev[0]).cid, x);
  EXPECT_TRUE(drain(c).empty());
  now = t0 + cfg.rebroadcast_interval;
  ASSERT_EQ(c.next_timer(), now);
  c.on_timer(now);
  auto out = drain(c);
  EXPECT_EQ(cids_of(out[a], WantType::have), std::vector<Cid>{x});
  EXPECT_EQ(cids_of(out[b], WantType::have), std::vector<Cid>{x});
  // b got it meanwhile.
  c.on_message(b, haves({x}), now);
  EXPECT_EQ(cids_of(drain(c)[b], WantType::block), std::vector<Cid>{x});
}

TEST_F(ClientTest, UnansweredWantHaveCountsAsDontHave) {
  ClientConfig cfg;
  cfg.want_have_timeout = seconds(2);
  Client c(cfg);
  connect(c, {a});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  EXPECT_EQ(c.next_timer(), t0 + seconds(2));
  c.on_timer(t0 + seconds(2));
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<WantStalled>(ev[0]));
  EXPECT_EQ(c.peer_stats(a)->timeouts, 1u);
}

TEST_F(ClientTest, NewPeerGetsTheLiveWantsAsAFullWantlist) {
  Client c;
  connect(c, {a});
  std::vector<Cid> cids{cid_of("x"), cid_of("y")};
  ASSERT_TRUE(c.want(cids, now).ok());
  drain(c);
  full_seen.clear();
  connect(c, {b});
  auto out = drain(c);
  EXPECT_EQ(cids_of(out[b], WantType::have), cids);
  EXPECT_TRUE(full_seen[b]);
  EXPECT_FALSE(out.count(a));
}

TEST_F(ClientTest, NoPeersMeansStalled) {
  Client c;
  ASSERT_TRUE(c.want(std::vector<Cid>{cid_of("x")}, now).ok());
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<WantStalled>(ev[0]));
  connect(c, {a});
  EXPECT_EQ(cids_of(drain(c)[a], WantType::have), std::vector<Cid>{cid_of("x")});
}

TEST_F(ClientTest, CorruptedBlockMarksThePeerAndMovesOn) {
  Client c;
  connect(c, {a, b});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(a, haves({x}), now);
  c.on_message(b, haves({x}), now);
  auto out = drain(c);
  PeerId liar = out.count(a) ? a : b, honest = liar == a ? b : a;
  Message forged;
  forged.blocks.push_back(Block{cid_of("x-altered"), block_data("x-altered")});  // as decoded
  c.on_message(liar, forged, now);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  auto* bad = std::get_if<PeerMisbehaved>(&ev[0]);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->peer, liar);
  EXPECT_NE(bad->reason.find("corrupted"), std::string::npos) << bad->reason;
  EXPECT_TRUE(c.peer_stats(liar)->misbehaved);
  EXPECT_EQ(c.peer_stats(liar)->score, kScoreMin);
  EXPECT_EQ(cids_of(drain(c)[honest], WantType::block), std::vector<Cid>{x});
  // Ignored from now on, even a good block.
  c.on_message(liar, blocks_msg({"x"}), now);
  EXPECT_TRUE(events(c).empty());
  EXPECT_TRUE(c.is_wanted(x));
}

TEST_F(ClientTest, UnsolicitedFloodIsReportedOnce) {
  ClientConfig cfg;
  cfg.peer_unsolicited_bytes_max = 10000;
  Client c(cfg);
  connect(c, {a});
  for (int i = 0; i < 9; ++i) c.on_message(a, blocks_msg({std::string(1000, char('a' + i))}), now);
  EXPECT_TRUE(events(c).empty());
  EXPECT_EQ(c.peer_stats(a)->unsolicited_bytes, 9000u);
  c.on_message(a, blocks_msg({std::string(1000, 'z')}), now);
  EXPECT_TRUE(events(c).empty());  // 10000 bytes: at the limit, not over
  c.on_message(a, blocks_msg({std::string(1, 'q')}), now);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_NE(std::get<PeerMisbehaved>(ev[0]).reason.find("unsolicited"), std::string::npos);
  c.on_message(a, blocks_msg({std::string(5000, 'r')}), now);
  EXPECT_TRUE(events(c).empty());
}

TEST_F(ClientTest, DuplicatesOfRecentWantsAreCountedNotPunished) {
  Client c;
  connect(c, {a, b});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  c.on_message(a, blocks_msg({"x"}), now);  // want-have answered with the small block
  c.on_message(b, blocks_msg({"x"}), now);
  auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<BlockReceived>(ev[0]));
  EXPECT_EQ(c.peer_stats(b)->duplicate_blocks, 1u);
  EXPECT_FALSE(c.peer_stats(b)->misbehaved);
  EXPECT_EQ(c.stats().duplicate_blocks, 1u);
}

TEST_F(ClientTest, UserCancelSendsCancelsAndLateBlocksAreDuplicates) {
  Client c;
  connect(c, {a, b});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(a, haves({x}), now);
  drain(c);
  c.cancel(std::vector<Cid>{x}, now);
  auto out = drain(c);
  EXPECT_EQ(cids_of(out[a], WantType::block, true), std::vector<Cid>{x});
  EXPECT_EQ(cids_of(out[b], WantType::block, true), std::vector<Cid>{x});
  EXPECT_EQ(c.want_blocks_in_flight(), 0u);
  c.on_message(a, blocks_msg({"x"}), now);
  EXPECT_TRUE(events(c).empty());
  EXPECT_EQ(c.peer_stats(a)->duplicate_blocks, 1u);
}

TEST_F(ClientTest, DisconnectMovesTheWantBlock) {
  Client c;
  connect(c, {a, b});
  Cid x = cid_of("x");
  ASSERT_TRUE(c.want(std::vector<Cid>{x}, now).ok());
  drain(c);
  c.on_message(a, haves({x}), now);
  c.on_message(b, haves({x}), now);
  auto out = drain(c);
  PeerId first = out.count(a) ? a : b, second = first == a ? b : a;
  c.on_peer_disconnected(first, now);
  EXPECT_EQ(cids_of(drain(c)[second], WantType::block), std::vector<Cid>{x});
  EXPECT_EQ(c.want_blocks_in_flight(), 1u);
  EXPECT_EQ(c.peer_count(), 1u);
}

TEST_F(ClientTest, LiveWantsAreBoundedAndPromotedInOrder) {
  ClientConfig cfg;
  cfg.live_wants_max = 3;
  Client c(cfg);
  connect(c, {a});
  std::vector<Cid> cids;
  for (int i = 0; i < 5; ++i) cids.push_back(cid_of(std::to_string(i)));
  ASSERT_TRUE(c.want(cids, now).ok());
  EXPECT_EQ(c.live_want_count(), 3u);
  auto out = drain(c);
  EXPECT_EQ(cids_of(out[a], WantType::have), std::vector<Cid>(cids.begin(), cids.begin() + 3));
  EXPECT_GT(out[a][0].priority, out[a][1].priority);  // earlier wants first
  c.on_message(a, blocks_msg({"0"}), now);
  // The promoted want goes to a as a want-block: a has just delivered.
  EXPECT_EQ(cids_of(drain(c)[a], WantType::block), std::vector<Cid>{cids[3]});
}

TEST_F(ClientTest, WantsAndPeersAreBounded) {
  ClientConfig cfg;
  cfg.wants_max = 2;
  cfg.peers_max = 1;
  Client c(cfg);
  auto r = c.want(std::vector<Cid>{cid_of("1"), cid_of("2"), cid_of("3")}, now);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::limit);
  EXPECT_EQ(c.want_count(), 2u);
  ASSERT_TRUE(c.on_peer_connected(a, now).ok());
  EXPECT_EQ(c.on_peer_connected(b, now).error().code, Errc::limit);
  c.on_message(b, blocks_msg({"1"}), now);  // from a refused peer: ignored
  EXPECT_EQ(c.want_count(), 2u);
  EXPECT_EQ(c.stats().messages_ignored, 1u);
}

TEST_F(ClientTest, OutboundQueueIsBoundedAndSplitIntoMessages) {
  ClientConfig cfg;
  cfg.message_entries_max = 10;
  cfg.peer_outbound_entries_max = 25;
  cfg.live_wants_max = 100;
  Client c(cfg);
  connect(c, {a});
  std::vector<Cid> cids;
  for (int i = 0; i < 40; ++i) cids.push_back(cid_of(std::to_string(i)));
  ASSERT_TRUE(c.want(cids, now).ok());
  size_t messages = 0, entries = 0;
  while (auto o = c.poll_outbound()) {
    ++messages;
    EXPECT_LE(o->message.wantlist.size(), 10u);
    entries += o->message.wantlist.size();
  }
  EXPECT_EQ(messages, 3u);
  EXPECT_EQ(entries, 25u);
  EXPECT_EQ(c.stats().outbound_entries_dropped, 15u);
}

}  // namespace
}  // namespace agora::bitswap
