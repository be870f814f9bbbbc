// behaviour::IdentifyBehaviour over the MemoryNetwork: honest exchanges both ways, and peers
// that claim another key, split or flood their answer, never answer, or push updates.
#include "behaviour/identify_behaviour.h"

#include <gtest/gtest.h>

#include "runtime/sim/memory_network.h"
#include "runtime/sim/scripted_behaviour.h"

namespace agora::sim {
namespace {

using behaviour::IdentifyBehaviour;
using behaviour::IdentifyConfig;
using behaviour::kIdentifyProtocol;
using behaviour::kIdentifyPushProtocol;
using identify::IdentifyInfo;
using std::chrono::milliseconds;
using std::chrono::seconds;

PublicKeyProto key(uint8_t n) { return {KeyType::ed25519, Bytes(32, n)}; }
PeerId peer(uint8_t n) { return PeerId::from_public_key(key(n)); }

IdentifyInfo info_of(uint8_t n, std::string agent) {
  IdentifyInfo info;
  info.agent_version = std::move(agent);
  info.public_key = encode_public_key(key(n));
  info.protocols = {kIdentifyProtocol};
  return info;
}

IdentifyBehaviour::LocalInfo local(uint8_t n, std::string agent) {
  return [n, agent](const Multiaddr& observed) {
    IdentifyInfo info = info_of(n, agent);
    info.observed_addr = observed;
    return info;
  };
}

host::ProtocolSpec spec(const char* name) {
  host::ProtocolSpec s;
  s.name = name;
  s.framing.message_bytes_max = 65536;  // larger than alice's: her limit is what is tested
  return s;
}

struct IdentifyPair : ::testing::Test {
  MemoryNetwork net{MemoryNetworkConfig{.latency = milliseconds(5)}};
  IdentifyBehaviour alice{IdentifyConfig{.exchange_timeout = seconds(2)}, local(1, "alice/1")};
  MemoryNetwork::NodeId na = net.add_node(peer(1)), nb = net.add_node(peer(2));
  void SetUp() override { net.add_behaviour(na, alice); }
  std::vector<behaviour::Identified> events() {
    std::vector<behaviour::Identified> out;
    while (auto e = alice.poll_event()) out.push_back(std::move(*e));
    return out;
  }
};

TEST_F(IdentifyPair, BothSidesLearnEachOtherOnConnect) {
  IdentifyBehaviour bob{IdentifyConfig{}, local(2, "bob/1")};
  net.add_behaviour(nb, bob);
  ASSERT_TRUE(net.connect(na, nb).ok());
  ASSERT_TRUE(net.run_for(milliseconds(50)).ok());
  ASSERT_NE(alice.peer_info(peer(2)), nullptr);
  EXPECT_EQ(alice.peer_info(peer(2))->agent_version, "bob/1");
  ASSERT_NE(bob.peer_info(peer(1)), nullptr);
  EXPECT_EQ(bob.peer_info(peer(1))->agent_version, "alice/1");
  auto got = events();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(got[0].info.ok());
  EXPECT_EQ(got[0].peer, peer(2));
  EXPECT_EQ(net.streams(), 0u);  // both exchanges closed cleanly
  EXPECT_EQ(alice.exchanges(), 0u);
}

// Two connections at once (both sides dialled) and one dropped at once, as a peer does with a
// duplicate: each connection is identified on itself, so the one that stays still is.
TEST_F(IdentifyPair, ADuplicateConnectionDroppedAtOnceDoesNotTakeTheExchangeWithIt) {
  IdentifyBehaviour bob{IdentifyConfig{}, local(2, "bob/1")};
  net.add_behaviour(nb, bob);
  auto first = net.connect(na, nb);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(net.connect(nb, na).ok());
  net.disconnect(*first, "duplicate");
  ASSERT_TRUE(net.run_for(milliseconds(50)).ok());
  ASSERT_NE(alice.peer_info(peer(2)), nullptr);
  ASSERT_NE(bob.peer_info(peer(1)), nullptr);
}

// A server that answers by hand: the test writes what it sends.
struct Scripted : IdentifyPair {
  ScriptedBehaviour bob{{spec(kIdentifyProtocol), spec(kIdentifyPushProtocol)}};
  host::StreamRef ref;
  void SetUp() override {
    IdentifyPair::SetUp();
    net.add_behaviour(nb, bob);
    ASSERT_TRUE(net.connect(na, nb).ok());
    ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
    ASSERT_EQ(bob.opened.size(), 1u);
    ref = bob.opened[0].ref;
  }
  void answer(std::vector<IdentifyInfo> messages) {
    for (auto& m : messages) bob.push(host::SendMessage{ref, identify::encode_identify(m)});
    bob.push(host::CloseWrite{ref});
    net.wake(nb, bob);
    ASSERT_TRUE(net.run_for(milliseconds(20)).ok());
  }
};

TEST_F(Scripted, AnAnswerInSeveralMessagesIsMerged) {
  IdentifyInfo second;
  second.agent_version = "bob/2";
  answer({info_of(2, "bob/1"), second});
  ASSERT_NE(alice.peer_info(peer(2)), nullptr);
  EXPECT_EQ(alice.peer_info(peer(2))->agent_version, "bob/2");
  EXPECT_EQ(alice.peer_info(peer(2))->protocols, std::vector<std::string>{kIdentifyProtocol});
}

TEST_F(Scripted, APeerClaimingAnotherKeyIsDisconnected) {
  answer({info_of(9, "mallory")});
  EXPECT_EQ(alice.peer_info(peer(2)), nullptr);
  auto got = events();
  ASSERT_EQ(got.size(), 1u);
  ASSERT_FALSE(got[0].info.ok());
  EXPECT_EQ(got[0].info.error().code, Errc::peer_mismatch);
  EXPECT_EQ(net.connections(), 0u);
}

TEST_F(Scripted, TooManyMessagesEndTheExchange) {
  answer(std::vector<IdentifyInfo>(11, info_of(2, "bob")));
  EXPECT_EQ(alice.peer_info(peer(2)), nullptr);
  auto got = events();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].info.error().code, Errc::too_large);
  EXPECT_EQ(net.streams(), 0u);
}

TEST_F(Scripted, AnEmptyAnswerIsAProtocolError) {
  answer({});
  auto got = events();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].info.error().code, Errc::protocol);
}

TEST_F(Scripted, APeerThatNeverAnswersTimesOut) {
  ASSERT_TRUE(net.run_for(seconds(3)).ok());
  auto got = events();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].info.error().code, Errc::timeout);
  EXPECT_EQ(net.streams(), 0u);
  EXPECT_EQ(alice.exchanges(), 0u);
}

TEST_F(Scripted, APushUpdatesWhatWeKnow) {
  answer({info_of(2, "bob/1")});
  events();
  IdentifyInfo update;
  update.agent_version = "bob/2";
  bob.push(host::OpenStream{.peer = peer(1), .protocol = kIdentifyPushProtocol, .tag = 1});
  net.wake(nb, bob);
  ASSERT_TRUE(net.run_for(milliseconds(10)).ok());
  ASSERT_EQ(bob.opened.size(), 2u);
  bob.push(host::SendMessage{bob.opened[1].ref, identify::encode_identify(update)});
  bob.push(host::CloseWrite{bob.opened[1].ref});
  net.wake(nb, bob);
  ASSERT_TRUE(net.run_for(milliseconds(20)).ok());
  EXPECT_EQ(alice.peer_info(peer(2))->agent_version, "bob/2");
  EXPECT_EQ(alice.peer_info(peer(2))->protocols, std::vector<std::string>{kIdentifyProtocol});
  auto got = events();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].push);
  EXPECT_EQ(net.streams(), 0u);
}

TEST_F(Scripted, AMessageOverTheLimitIsRefusedBeforeItIsRead) {
  IdentifyInfo big = info_of(2, std::string(9000, 'x'));
  bob.push(host::SendMessage{ref, identify::encode_identify(big)});
  net.wake(nb, bob);
  ASSERT_TRUE(net.run_for(milliseconds(20)).ok());
  EXPECT_EQ(alice.peer_info(peer(2)), nullptr);
  EXPECT_EQ(net.streams(), 0u);
}

}  // namespace
}  // namespace agora::sim
