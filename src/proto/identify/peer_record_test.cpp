#include "proto/identify/peer_record.h"

#include <gtest/gtest.h>

#include "codec/protobuf.h"
#include "proto/identify/envelope.h"
#include "proto/identify/interop_vectors_test.h"

namespace agora::record {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }
Multiaddr addr(std::string_view text) { return Multiaddr::parse(text).value(); }

crypto::Ed25519PrivateKey test_key(uint8_t fill) {
  crypto::Ed25519Seed seed;
  seed.fill(fill);
  return crypto::Ed25519PrivateKey::from_seed(seed);
}

PeerId peer_of(const crypto::Ed25519PrivateKey& key) {
  return PeerId::from_public_key(
      {KeyType::ed25519, Bytes(key.public_key().begin(), key.public_key().end())});
}

const std::vector<Multiaddr>& some_addrs() {
  static const std::vector<Multiaddr> addrs = {addr("/ip4/127.0.0.1/tcp/4001"),
                                               addr("/ip4/1.2.3.4/udp/4001/quic-v1")};
  return addrs;
}

TEST(PeerRecord, VerifiesGoLibp2pSignedRecord) {
  auto record = verify_signed_peer_record(hex(test_vectors::kGoSignedPeerRecordHex));
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  EXPECT_EQ(record->peer.to_base58(), "12D3KooWB1b3qZxWJanuhtseF3DmPggHCtG36KZ9ixkqHtdKH9fh");
  EXPECT_EQ(record->seq, 1598453001624231000u);
  ASSERT_EQ(record->addrs.size(), 10u);
  for (size_t i = 0; i < 10; ++i)
    EXPECT_EQ(record->addrs[i].to_string(), "/ip4/1.2.3.4/tcp/" + std::to_string(i));
  EXPECT_EQ(record->skipped_addrs, 0u);
}

TEST(PeerRecord, MakeReproducesGoLibp2pBytes) {
  Bytes key_pb = hex(test_vectors::kGoPeerRecordPrivateKeyHex);
  auto key = crypto::Ed25519PrivateKey::from_libp2p_bytes(BytesView(key_pb).subspan(4));
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  std::vector<Multiaddr> addrs;
  for (int i = 0; i < 10; ++i) addrs.push_back(addr("/ip4/1.2.3.4/tcp/" + std::to_string(i)));
  EXPECT_EQ(to_hex(make_signed_peer_record(*key, 1598453001624231000u, addrs)),
            test_vectors::kGoSignedPeerRecordHex);
}

TEST(PeerRecord, EncodeDecodeRoundTrip) {
  auto key = test_key(3);
  PeerRecord record{peer_of(key), 7, some_addrs()};
  auto decoded = decode_peer_record(encode_peer_record(record));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, record);

  record.seq = 0;
  record.addrs.clear();
  Bytes minimal = encode_peer_record(record);
  EXPECT_EQ(to_hex(minimal), "0a26" + to_hex(record.peer.bytes()));  // seq 0 left out
  EXPECT_EQ(decode_peer_record(minimal).value(), record);
}

TEST(PeerRecord, SignedRoundTrip) {
  auto key = test_key(3);
  auto record = verify_signed_peer_record(make_signed_peer_record(key, 99, some_addrs()));
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  EXPECT_EQ(record->peer, peer_of(key));
  EXPECT_EQ(record->seq, 99u);
  EXPECT_EQ(record->addrs, some_addrs());
}

TEST(PeerRecord, TamperedPayloadOrSignatureFails) {
  Bytes sealed = make_signed_peer_record(test_key(3), 99, some_addrs());
  Envelope env = decode_envelope(sealed).value();

  Envelope bumped_seq = env;
  PeerRecord record = decode_peer_record(env.payload).value();
  record.seq = 100;
  bumped_seq.payload = encode_peer_record(record);
  EXPECT_EQ(verify_signed_peer_record(encode_envelope(bumped_seq)).error().code, Errc::crypto);

  Envelope bad_sig = env;
  bad_sig.signature[0] ^= 1;
  EXPECT_EQ(verify_signed_peer_record(encode_envelope(bad_sig)).error().code, Errc::crypto);

  Bytes flipped = sealed;
  flipped[sealed.size() / 2] ^= 0x01;
  EXPECT_FALSE(verify_signed_peer_record(flipped).ok());
}

TEST(PeerRecord, RecordForAnotherPeerFails) {
  auto signer = test_key(3);
  PeerRecord claim{peer_of(test_key(4)), 1, some_addrs()};
  Bytes sealed = seal_envelope(signer, kPeerRecordDomain, BytesView(kPeerRecordPayloadType),
                               encode_peer_record(claim));
  auto r = verify_signed_peer_record(sealed);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::peer_mismatch);
}

TEST(PeerRecord, WrongPayloadTypeOrDomainFails) {
  auto key = test_key(3);
  Bytes payload = encode_peer_record({peer_of(key), 1, some_addrs()});
  Bytes voucher_type = seal_envelope(key, kPeerRecordDomain, hex("0302"), payload);
  EXPECT_EQ(verify_signed_peer_record(voucher_type).error().code, Errc::invalid_input);
  Bytes uvarint_type = seal_envelope(key, kPeerRecordDomain, hex("8106"), payload);
  EXPECT_EQ(verify_signed_peer_record(uvarint_type).error().code, Errc::invalid_input);
  Bytes relay_domain =
      seal_envelope(key, "libp2p-relay-rsvp", BytesView(kPeerRecordPayloadType), payload);
  EXPECT_EQ(verify_signed_peer_record(relay_domain).error().code, Errc::crypto);
}

TEST(PeerRecord, LimitsAndMalformedInput) {
  auto key = test_key(3);
  PeerRecord record{peer_of(key), 1, {}};
  for (int i = 0; i < 64; ++i)
    record.addrs.push_back(addr("/ip4/10.0.0.1/tcp/" + std::to_string(i + 1)));
  EXPECT_TRUE(verify_signed_peer_record(make_signed_peer_record(key, 1, record.addrs)).ok());
  record.addrs.push_back(addr("/ip4/10.0.0.2/tcp/1"));
  auto r = verify_signed_peer_record(make_signed_peer_record(key, 1, record.addrs));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);

  EXPECT_EQ(decode_peer_record({}).error().code, Errc::invalid_input);           // no peer id
  EXPECT_FALSE(decode_peer_record(hex("0a03010203")).ok());                      // bad multihash
  EXPECT_EQ(decode_peer_record(hex("1201")).error().code, Errc::invalid_input);  // seq as bytes
}

TEST(PeerRecord, SkipsUnparseableAddrs) {
  auto key = test_key(3);
  pb::Writer w;
  w.bytes(1, peer_of(key).bytes());
  w.varint(2, 5);
  pb::Writer good, unknown, empty_info;
  good.bytes(1, hex("047f000001060fa1"));
  unknown.bytes(1, hex("ffff03"));
  w.bytes(3, good.data());
  w.bytes(3, unknown.data());
  w.bytes(3, empty_info.data());
  auto record = decode_peer_record(w.data());
  ASSERT_TRUE(record.ok()) << record.error().to_string();
  ASSERT_EQ(record->addrs.size(), 1u);
  EXPECT_EQ(record->addrs[0].to_string(), "/ip4/127.0.0.1/tcp/4001");
  EXPECT_EQ(record->skipped_addrs, 2u);
}

}  // namespace
}  // namespace agora::record
