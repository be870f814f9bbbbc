#include "proto/identify/identify.h"

#include <gtest/gtest.h>

#include "codec/protobuf.h"
#include "crypto/ed25519.h"
#include "proto/identify/interop_vectors_test.h"
#include "proto/identify/peer_record.h"

namespace agora::identify {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }
Multiaddr addr(std::string_view text) { return Multiaddr::parse(text).value(); }

crypto::Ed25519PrivateKey test_key(uint8_t fill) {
  crypto::Ed25519Seed seed;
  seed.fill(fill);
  return crypto::Ed25519PrivateKey::from_seed(seed);
}

Bytes public_key_pb(const crypto::Ed25519PrivateKey& key) {
  return encode_public_key(
      {KeyType::ed25519, Bytes(key.public_key().begin(), key.public_key().end())});
}

IdentifyInfo full_info() {
  auto key = test_key(7);
  IdentifyInfo info;
  info.agent_version = "agora/0.1.0";
  info.public_key = public_key_pb(key);
  info.listen_addrs = {addr("/ip4/127.0.0.1/tcp/4001"), addr("/ip6/::1/tcp/4001")};
  info.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/ipfs/kad/1.0.0"};
  info.observed_addr = addr("/ip4/192.0.2.42/tcp/443");
  info.signed_peer_record = record::make_signed_peer_record(key, 42, info.listen_addrs);
  return info;
}

TEST(Identify, RoundTripsAllFields) {
  IdentifyInfo info = full_info();
  auto decoded = decode_identify(encode_identify(info));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, info);
  EXPECT_EQ(decoded->protocol_version, "ipfs/0.1.0");
  EXPECT_EQ(decoded->skipped_addrs, 0u);
}

TEST(Identify, EmitsJsFieldOrder) {
  IdentifyInfo info;
  info.agent_version = "a";
  info.public_key = {0x01};
  info.protocols = {"/p"};
  info.observed_addr = addr("/ip4/1.2.3.4/tcp/1");
  EXPECT_EQ(to_hex(encode_identify(info)),
            "2a0a697066732f302e312e30"  // 5: "ipfs/0.1.0"
            "320161"                    // 6: "a"
            "0a0101"                    // 1: 01
            "2208040102030406"
            "0001"        // 4: /ip4/1.2.3.4/tcp/1
            "1a022f70");  // 3: "/p"
}

TEST(Identify, DecodesRustLibp2pMessageAndReencodesItExactly) {
  Bytes wire = hex(test_vectors::kRustIdentifyHex);
  auto info = decode_identify(wire);
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  EXPECT_EQ(info->protocol_version, "/substrate/1.0");
  EXPECT_EQ(info->agent_version, "parity-polkadot/v0.7.18-fc100e65-x86_64-linux-gnu (unknown)");
  ASSERT_EQ(info->listen_addrs.size(), 5u);
  EXPECT_EQ(info->listen_addrs[0].to_string(), "/dns4/p2p.cc3-3.kusama.network/tcp/30100");
  EXPECT_EQ(info->listen_addrs[1].to_string(), "/ip4/35.178.195.80/tcp/30100");
  EXPECT_EQ(info->listen_addrs[4].to_string(), "/ip4/10.0.1.15/tcp/30100");
  ASSERT_TRUE(info->observed_addr.has_value());
  EXPECT_EQ(info->observed_addr->to_string(), "/ip4/10.0.1.134/tcp/54482");
  EXPECT_EQ(info->protocols, (std::vector<std::string>{"/substrate/ksmcc3/5", "/substrate/ksmcc3/4",
                                                       "/substrate/ksmcc3/3", "/ipfs/ping/1.0.0",
                                                       "/ipfs/id/1.0.0", "/ipfs/kad/1.0.0"}));
  EXPECT_FALSE(info->signed_peer_record.has_value());
  auto peer = identify_peer_id(*info);
  ASSERT_TRUE(peer.ok()) << peer.error().to_string();
  EXPECT_EQ(peer->to_base58(), "12D3KooWEGHw84b4hfvXEfyq4XWEmWCbRGuHMHQMpby4BAtZ4xJf");
  EXPECT_EQ(to_hex(encode_identify(*info)), to_hex(wire));
}

TEST(Identify, EmptyMessageHasNoFields) {
  auto info = decode_identify({});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->protocol_version, "");
  EXPECT_TRUE(info->public_key.empty());
  EXPECT_FALSE(info->observed_addr.has_value());
  EXPECT_TRUE(encode_identify(*info).empty());
}

TEST(Identify, RejectsMessageOverSizeLimit) {
  IdentifyInfo info;
  info.protocol_version.clear();
  info.agent_version = std::string(8192 - 3, 'x');  // tag + 2-byte length + body = 8192
  Bytes at_limit = encode_identify(info);
  ASSERT_EQ(at_limit.size(), 8192u);
  EXPECT_TRUE(decode_identify(at_limit).ok());
  info.agent_version.push_back('x');
  auto over = decode_identify(encode_identify(info));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::too_large);
}

TEST(Identify, RejectsTooManyProtocols) {
  IdentifyInfo info;
  for (int i = 0; i < 256; ++i) info.protocols.push_back("/p/" + std::to_string(i));
  EXPECT_TRUE(decode_identify(encode_identify(info)).ok());
  info.protocols.push_back("/one/too/many");
  auto r = decode_identify(encode_identify(info));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
}

TEST(Identify, RejectsOverlongProtocolId) {
  IdentifyInfo info;
  info.protocols = {"/" + std::string(255, 'a')};
  EXPECT_TRUE(decode_identify(encode_identify(info)).ok());
  info.protocols[0].push_back('a');
  auto r = decode_identify(encode_identify(info));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
}

TEST(Identify, RejectsTooManyListenAddrsCountingSkippedOnes) {
  pb::Writer w;
  for (int i = 0; i < 64; ++i) w.bytes(2, hex("047f000001060fa1"));
  EXPECT_TRUE(decode_identify(w.data()).ok());
  w.bytes(2, hex("ffff03"));  // unparseable, still counts
  auto r = decode_identify(w.data());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
}

TEST(Identify, SkipsAndCountsUnparseableAddrs) {
  pb::Writer w;
  w.bytes(2, hex("047f000001060fa1"));  // /ip4/127.0.0.1/tcp/4001
  w.bytes(2, hex("ffff03"));            // unknown protocol code 0xffff
  w.bytes(2, hex("047f00"));            // truncated ip4
  w.bytes(2, {});                       // empty
  w.bytes(4, hex("ffff03"));            // observed, unknown protocol
  auto info = decode_identify(w.data());
  ASSERT_TRUE(info.ok()) << info.error().to_string();
  ASSERT_EQ(info->listen_addrs.size(), 1u);
  EXPECT_EQ(info->listen_addrs[0].to_string(), "/ip4/127.0.0.1/tcp/4001");
  EXPECT_FALSE(info->observed_addr.has_value());
  EXPECT_EQ(info->skipped_addrs, 4u);
}

TEST(Identify, RejectsMalformedProtobuf) {
  EXPECT_EQ(decode_identify(hex("0a05")).error().code, Errc::invalid_input);  // past the end
  EXPECT_EQ(decode_identify(hex("0801")).error().code, Errc::invalid_input);  // key as varint
  EXPECT_EQ(decode_identify(hex("1801")).error().code, Errc::invalid_input);  // protocol varint
  EXPECT_EQ(decode_identify(hex("2a")).error().code, Errc::invalid_input);    // no length
  EXPECT_EQ(decode_identify(hex("0b")).error().code, Errc::invalid_input);    // group
}

TEST(Identify, IgnoresUnknownFields) {
  pb::Writer w;
  w.varint(7, 5);
  w.string(6, "agent");
  w.bytes(99, hex("0102"));
  auto info = decode_identify(w.data());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->agent_version, "agent");
}

TEST(Identify, PushReplacesOnlyPresentFields) {
  IdentifyInfo base = full_info();
  IdentifyInfo push = decode_identify(encode_identify([] {
                        IdentifyInfo p;
                        p.protocol_version.clear();
                        p.protocols = {"/meshsub/1.1.0"};
                        return p;
                      }()))
                          .value();
  IdentifyInfo expected = base;
  expected.protocols = {"/meshsub/1.1.0"};
  merge_identify(base, push);
  EXPECT_EQ(base, expected);

  IdentifyInfo push2;
  push2.protocol_version.clear();
  push2.listen_addrs = {addr("/ip4/10.0.0.1/udp/4001/quic-v1")};
  push2.skipped_addrs = 2;
  merge_identify(base, push2);
  expected.listen_addrs = push2.listen_addrs;
  expected.skipped_addrs = 2;
  EXPECT_EQ(base, expected);
}

TEST(Identify, PeerIdNeedsAParseablePublicKey) {
  IdentifyInfo info;
  EXPECT_EQ(identify_peer_id(info).error().code, Errc::invalid_input);
  info.public_key = hex("0801");  // no Data
  EXPECT_FALSE(identify_peer_id(info).ok());
  auto key = test_key(9);
  info.public_key = public_key_pb(key);
  auto peer = identify_peer_id(info);
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(*peer, PeerId::from_public_key({KeyType::ed25519, Bytes(key.public_key().begin(),
                                                                    key.public_key().end())}));
}

TEST(Identify, CarriesAVerifiableSignedPeerRecord) {
  IdentifyInfo info = decode_identify(encode_identify(full_info())).value();
  ASSERT_TRUE(info.signed_peer_record.has_value());
  auto record = record::verify_signed_peer_record(*info.signed_peer_record);
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  EXPECT_EQ(record->peer, identify_peer_id(info).value());
  EXPECT_EQ(record->seq, 42u);
  EXPECT_EQ(record->addrs, info.listen_addrs);
}

}  // namespace
}  // namespace agora::identify
