#include "proto/kad/message.h"

#include <gtest/gtest.h>

#include "codec/protobuf.h"
#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

// 00 24 08 01 12 20 <32 x 11>: identity multihash of an Ed25519 PublicKey protobuf.
const std::string kIdHex = "002408011220" + std::string(64, '1');
PeerId test_id() { return PeerId::from_bytes(hex(kIdHex)).value(); }

Peer test_peer() { return Peer{test_id(), {hex("047f000001060fa1")}, ConnectionType::connected}; }

TEST(KadMessage, EncodesFieldsInTagOrderByteExact) {
  Message m;
  m.type = MessageType::get_value;
  m.key = hex("0102");
  m.record = Record{hex("aa"), hex("bbcc"), "t"};
  m.closer_peers = {test_peer()};
  m.provider_peers = {Peer{test_id(), {}, ConnectionType::not_connected}};
  m.cluster_level_raw = -1;
  // Peer body: 0a 26 <id 38 bytes> 12 08 <addr 8 bytes> 18 01 = 2 + 38 + 2 + 8 + 2 = 52 (0x34).
  const std::string peer_body = "0a26" + kIdHex + "1208047f000001060fa1" + "1801";
  const std::string provider_body = "0a26" + kIdHex;  // 40 (0x28): no addrs, connection omitted
  const std::string expected =
      "0801"      // type GET_VALUE
      "12020102"  // key
      "1a0a"
      "0a01aa"
      "1202bbcc"
      "2a0174"  // record: key, value, timeReceived
      "4234" +
      peer_body +                // closerPeers
      "4a28" + provider_body +   // providerPeers
      "50ffffffffffffffffff01";  // clusterLevelRaw -1, sign-extended
  EXPECT_EQ(to_hex(encode(m)), expected);
  EXPECT_EQ(encoded_size(m), encode(m).size());
}

TEST(KadMessage, PutValueTypeIsWrittenExplicitly) {
  Message m;  // PUT_VALUE = 0, nothing else
  EXPECT_EQ(to_hex(encode(m)), "0800");
}

TEST(KadMessage, RoundTripsEveryMessageType) {
  for (uint32_t t = 0; t <= 5; ++t) {
    Message m;
    m.type = MessageType(t);
    m.key = to_bytes("/pk/some-key");
    if (t == 0 || t == 1) m.record = Record{m.key, to_bytes("value"), "2026-01-01T00:00:00Z"};
    m.closer_peers = {test_peer(), Peer{test::peer(7), {}, ConnectionType::cannot_connect}};
    if (t == 2 || t == 3) m.provider_peers = {test_peer()};
    auto decoded = decode(encode(m));
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, m) << message_type_name(m.type);
    EXPECT_EQ(encoded_size(m), encode(m).size());
  }
}

// js-libp2p (protons, proto3) omits type 0, writes clusterLevel (10) before key (2), sends the
// record as bytes holding a Record with the old author/signature fields, and writes a peer's
// connection even when it is NOT_CONNECTED.
TEST(KadMessage, DecodesJsStyleMessage) {
  const std::string record =
      "0a03616263"
      "120178"
      "1a0161"
      "220173";  // key abc, value x, 3, 4
  const std::string peer = "0a26" + kIdHex + "1800";
  const std::string bytes =
      "5000"
      "1203616263"
      "1a0e" +
      record + "422a" + peer + "5a0101";  // + unknown field 11
  auto m = decode(hex(bytes));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->type, MessageType::put_value);
  EXPECT_EQ(m->key, to_bytes("abc"));
  ASSERT_TRUE(m->record);
  EXPECT_EQ(m->record->key, to_bytes("abc"));
  EXPECT_EQ(m->record->value, to_bytes("x"));
  ASSERT_EQ(m->closer_peers.size(), 1u);
  EXPECT_EQ(m->closer_peers[0].id, test_id());
  EXPECT_EQ(m->closer_peers[0].connection, ConnectionType::not_connected);
  EXPECT_EQ(m->cluster_level_raw, 0);
}

TEST(KadMessage, KeepsUnknownTypeForTheCore) {
  auto m = decode(hex("082a"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(uint32_t(m->type), 42u);
  EXPECT_STREQ(message_type_name(m->type), "UNKNOWN");
  EXPECT_FALSE(decode(hex("08ffffffff0f")).ok());  // 2^32 - 1: not an int32 enum
}

Bytes many_peers(uint32_t field, size_t n) {
  pb::Writer w;
  pb::Writer peer;
  peer.bytes(1, hex(kIdHex));
  for (size_t i = 0; i < n; ++i) w.bytes(field, peer.data());
  return w.take();
}

void expect_limit(BytesView bytes, const std::string& limit_name, MessageLimits limits = {}) {
  auto m = decode(bytes, limits);
  ASSERT_FALSE(m.ok()) << limit_name;
  EXPECT_EQ(m.error().code, Errc::too_large) << m.error().message;
  EXPECT_NE(m.error().message.find(limit_name), std::string::npos) << m.error().message;
}

TEST(KadMessage, RejectsTenThousandCloserPeers) {
  MessageLimits big;
  big.message_bytes_max = 1 << 20;  // so the count limit is the one hit
  expect_limit(many_peers(8, 10000), "closer_peers_max", big);
  expect_limit(many_peers(8, 10000), "message_bytes_max");
  expect_limit(many_peers(9, 65), "provider_peers_max");
  EXPECT_TRUE(decode(many_peers(8, 64)).ok());
}

TEST(KadMessage, RejectsEachLimit) {
  MessageLimits limits;
  {
    pb::Writer w;
    w.bytes(2, Bytes(257, 1));
    expect_limit(w.data(), "key_bytes_max");
  }
  {
    pb::Writer rec;
    rec.bytes(2, Bytes(16 * 1024 + 1, 1));
    pb::Writer w;
    w.bytes(3, rec.data());
    expect_limit(w.data(), "record_value_bytes_max");
  }
  {
    pb::Writer rec;
    rec.bytes(1, Bytes(300, 1));
    pb::Writer w;
    w.bytes(3, rec.data());
    expect_limit(w.data(), "key_bytes_max");
  }
  {
    pb::Writer rec;
    rec.string(5, std::string(65, 'x'));
    pb::Writer w;
    w.bytes(3, rec.data());
    expect_limit(w.data(), "time_received_bytes_max");
  }
  {
    pb::Writer peer;
    peer.bytes(1, hex(kIdHex));
    for (int i = 0; i < 33; ++i) peer.bytes(2, hex("047f000001"));
    pb::Writer w;
    w.bytes(8, peer.data());
    expect_limit(w.data(), "addrs_per_peer_max");
  }
  {
    pb::Writer peer;
    peer.bytes(1, hex(kIdHex));
    peer.bytes(2, Bytes(257, 4));
    pb::Writer w;
    w.bytes(9, peer.data());
    expect_limit(w.data(), "addr_bytes_max");
  }
  expect_limit(Bytes(64 * 1024 + 1, 0), "message_bytes_max");
}

TEST(KadMessage, RejectsMalformedInput) {
  EXPECT_EQ(decode(hex("1205ab")).error().code, Errc::invalid_input);      // length past end
  EXPECT_EQ(decode(hex("0a0101")).error().code, Errc::invalid_input);      // type as bytes
  EXPECT_EQ(decode(hex("4200")).error().code, Errc::invalid_input);        // peer without an id
  EXPECT_EQ(decode(hex("42030a0102")).error().code, Errc::invalid_input);  // bad peer id
  auto bad_id = decode(hex("42030a0102"));
  EXPECT_NE(bad_id.error().message.find("closerPeers 0"), std::string::npos);
  EXPECT_EQ(decode(hex("0b")).error().code, Errc::invalid_input);  // group wire type
}

TEST(KadMessage, CheckLimitsOnMessagesBuiltInMemory) {
  Message m;
  m.type = MessageType::find_node;
  for (int i = 0; i < 65; ++i) m.closer_peers.push_back(Peer{test::peer(uint64_t(i)), {}, {}});
  auto st = check_limits(m, {});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("closer_peers_max"), std::string::npos);
  m.closer_peers.resize(20);
  EXPECT_TRUE(check_limits(m, {}).ok());
  m.closer_peers[3].id = PeerId();
  EXPECT_FALSE(check_limits(m, {}).ok());
}

TEST(KadMessage, RecordRoundTrip) {
  Record r{to_bytes("/pk/k"), to_bytes("v"), ""};
  EXPECT_EQ(to_hex(encode_record(r)), "0a052f706b2f6b120176");
  EXPECT_EQ(decode_record(encode_record(r)).value(), r);
}

}  // namespace
}  // namespace agora::kad
