// One client core fetching from several server cores through an in-memory message pump: every
// message is encoded, checked against the size limit and decoded, as on the wire.
#include <gtest/gtest.h>

#include <memory>

#include "proto/bitswap/client.h"
#include "proto/bitswap/server.h"
#include "proto/bitswap/test_util.h"

namespace agora::bitswap {
namespace {

using namespace test;

enum class Behaviour { honest, corrupts_blocks, silent };

struct ServerNode {
  PeerId id;
  Behaviour behaviour = Behaviour::honest;
  MemoryBlocks store;
  std::unique_ptr<Server> server;
  bool connected = true;
};

// A silent server claims every block and never sends one.
class ClaimsEverything : public BlockInfo {
 public:
  std::optional<size_t> block_size(const Cid&) override { return 4096; }
};

class Exchange {
 public:
  explicit Exchange(ClientConfig config = {}) : client(config) {}

  ServerNode& add_server(uint8_t n, Behaviour behaviour) {
    auto node = std::make_unique<ServerNode>();
    node->id = peer(n);
    node->behaviour = behaviour;
    BlockInfo& info = behaviour == Behaviour::silent ? static_cast<BlockInfo&>(claims_everything)
                                                     : static_cast<BlockInfo&>(node->store);
    node->server = std::make_unique<Server>(ServerConfig{}, info);
    EXPECT_TRUE(client.on_peer_connected(node->id, now).ok());
    servers.push_back(std::move(node));
    return *servers.back();
  }

  // Runs until every want is satisfied or nothing is left to do; returns false if it got stuck.
  bool run(size_t steps_max) {
    for (size_t step = 0; step < steps_max; ++step) {
      bool progress = pump_client() | pump_servers();
      drain_events();
      if (client.want_count() == 0) return true;
      if (progress) continue;
      auto timer = client.next_timer();
      if (!timer) return false;
      now = std::max(now, *timer);
      client.on_timer(now);
    }
    return false;
  }

  Client client;
  PeerId client_id = peer(100);
  ClaimsEverything claims_everything;
  std::vector<std::unique_ptr<ServerNode>> servers;
  std::map<Cid, Bytes> received;
  std::map<Cid, PeerId> received_from;
  std::vector<PeerMisbehaved> misbehaved;
  Instant now{};
  size_t messages = 0;

 private:
  ServerNode* find(const PeerId& id) {
    for (auto& s : servers)
      if (s->id == id && s->connected) return s.get();
    return nullptr;
  }

  // Sends through the codec, as the runtime does: split under the limit, encode, decode.
  std::vector<Message> wire(Message m) {
    auto parts = split_message(std::move(m));
    EXPECT_TRUE(parts.ok());
    std::vector<Message> out;
    for (Message& part : *parts) {
      Bytes bytes = encode_message(part);
      EXPECT_LE(bytes.size(), MessageLimits{}.message_bytes_max);
      auto decoded = decode_message(bytes);
      EXPECT_TRUE(decoded.ok()) << decoded.error().to_string();
      out.push_back(std::move(decoded).value());
      ++messages;
    }
    return out;
  }

  bool pump_client() {
    bool progress = false;
    while (auto out = client.poll_outbound()) {
      progress = true;
      ServerNode* node = find(out->peer);
      if (!node) continue;
      for (Message& m : wire(std::move(out->message)))
        EXPECT_TRUE(node->server->on_message(client_id, m, now).ok());
    }
    return progress;
  }

  bool pump_servers() {
    bool progress = false;
    for (auto& node : servers) {
      if (!node->connected) continue;
      while (auto task = node->server->poll_task(now)) {
        progress = true;
        Message m;
        m.presences = task->presences;
        for (const Cid& cid : task->blocks) {
          if (node->behaviour == Behaviour::silent) continue;
          Bytes data = node->store.blocks.at(cid);
          if (node->behaviour == Behaviour::corrupts_blocks) data[data.size() / 2] ^= 0x5a;
          m.blocks.push_back(Block{cid, std::move(data)});
        }
        node->server->task_done(task->id);
        if (m.empty()) continue;
        for (Message& part : wire(std::move(m))) client.on_message(node->id, part, now);
        if (!node->connected) break;
      }
    }
    return progress;
  }

  void drain_events() {
    while (auto e = client.poll_event()) {
      if (auto* got = std::get_if<BlockReceived>(&*e)) {
        EXPECT_TRUE(got->cid.matches(got->data));
        EXPECT_FALSE(received.count(got->cid)) << "delivered twice";
        received[got->cid] = got->data;
        received_from[got->cid] = got->from;
      } else if (auto* bad = std::get_if<PeerMisbehaved>(&*e)) {
        misbehaved.push_back(*bad);
        // The runtime disconnects a misbehaving peer.
        if (ServerNode* node = find(bad->peer)) {
          node->connected = false;
          node->server->on_peer_disconnected(client_id);
        }
        client.on_peer_disconnected(bad->peer, now);
      }
    }
  }
};

// Blocks 0..999 of 2000 bytes, every tenth one small enough to be sent for a want-have.
Bytes numbered_block(int i) {
  return block_data("block-" + std::to_string(i), i % 10 ? 2000 : 100);
}

TEST(BitswapExchange, FetchesAThousandBlocksPastALiar) {
  Exchange net;
  ServerNode& first = net.add_server(1, Behaviour::honest);
  ServerNode& liar = net.add_server(2, Behaviour::corrupts_blocks);
  ServerNode& second = net.add_server(3, Behaviour::honest);
  std::vector<Cid> cids;
  for (int i = 0; i < 1000; ++i) {
    Bytes data = numbered_block(i);
    cids.push_back(liar.store.put_bytes(data));  // the liar claims everything
    if (i < 700) first.store.put_bytes(data);
    if (i >= 300) second.store.put_bytes(data);
  }
  ASSERT_TRUE(net.client.want(cids, net.now).ok());
  ASSERT_TRUE(net.run(100000));

  ASSERT_EQ(net.received.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(net.received[cids[size_t(i)]], numbered_block(i));
  ASSERT_EQ(net.misbehaved.size(), 1u);
  EXPECT_EQ(net.misbehaved[0].peer, liar.id);
  size_t from_first = 0, from_second = 0;
  for (auto& [cid, from] : net.received_from) {
    EXPECT_NE(from, liar.id);
    from_first += from == first.id;
    from_second += from == second.id;
  }
  EXPECT_GT(from_first, 200u);  // both honest servers did real work
  EXPECT_GT(from_second, 200u);
  EXPECT_EQ(net.client.want_blocks_in_flight(), 0u);
  EXPECT_EQ(net.now, Instant{});  // no timeout was needed
}

TEST(BitswapExchange, SilentServerCostsTimeoutsNotBlocks) {
  ClientConfig cfg;
  cfg.live_wants_max = 64;
  Exchange net(cfg);
  ServerNode& honest = net.add_server(1, Behaviour::honest);
  ServerNode& silent = net.add_server(2, Behaviour::silent);
  std::vector<Cid> cids;
  for (int i = 0; i < 200; ++i) cids.push_back(honest.store.put_bytes(numbered_block(i)));
  ASSERT_TRUE(net.client.want(cids, net.now).ok());
  ASSERT_TRUE(net.run(100000));
  EXPECT_EQ(net.received.size(), 200u);
  EXPECT_TRUE(net.misbehaved.empty());  // slow is not malicious
  auto stats = net.client.peer_stats(silent.id);
  ASSERT_TRUE(stats);
  EXPECT_GT(stats->timeouts, 0u);
  EXPECT_LT(stats->score, 0);
  EXPECT_GT(net.client.peer_stats(honest.id)->score, 0);
  EXPECT_GT(net.now, Instant{});
}

}  // namespace
}  // namespace agora::bitswap
