#include "proto/identify/envelope.h"

#include <gtest/gtest.h>

#include "codec/protobuf.h"
#include "proto/identify/interop_vectors_test.h"

namespace agora::record {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

crypto::Ed25519PrivateKey test_key(uint8_t fill) {
  crypto::Ed25519Seed seed;
  seed.fill(fill);
  return crypto::Ed25519PrivateKey::from_seed(seed);
}

const Bytes kType = to_bytes("/libp2p/testdata");
constexpr std::string_view kDomain = "libp2p-testing";

TEST(Envelope, SigningBytesAreLengthPrefixedFields) {
  EXPECT_EQ(to_hex(envelope_signing_bytes("ab", hex("0301"), to_bytes("xyz"))),
            "026162"
            "020301"
            "0378797a");
  Bytes long_payload(200, 0xaa);
  Bytes signed_bytes = envelope_signing_bytes("d", hex("01"), long_payload);
  EXPECT_EQ(to_hex(BytesView(signed_bytes).first(7)), "01640101c801aa");
}

TEST(Envelope, SealThenOpen) {
  auto key = test_key(1);
  Bytes sealed = seal_envelope(key, kDomain, kType, to_bytes("hello world!"));
  auto env = open_envelope(sealed, kDomain, kType);
  ASSERT_TRUE(env.ok()) << env.error().to_string();
  EXPECT_EQ(env->payload, to_bytes("hello world!"));
  EXPECT_EQ(env->payload_type, kType);
  EXPECT_EQ(env->public_key.type, KeyType::ed25519);
  EXPECT_EQ(env->public_key.data, Bytes(key.public_key().begin(), key.public_key().end()));
  EXPECT_EQ(env->signature.size(), 64u);
  EXPECT_EQ(encode_envelope(*env), sealed);
}

TEST(Envelope, EmptyPayloadIsAllowed) {
  Bytes sealed = seal_envelope(test_key(1), kDomain, kType, {});
  auto env = open_envelope(sealed, kDomain, kType);
  ASSERT_TRUE(env.ok()) << env.error().to_string();
  EXPECT_TRUE(env->payload.empty());
}

// Ed25519 is deterministic, so sealing go's payload with go's key must give go's bytes.
TEST(Envelope, SealReproducesGoLibp2pEnvelope) {
  Bytes go_envelope = hex(test_vectors::kGoSignedPeerRecordHex);
  Bytes key_pb = hex(test_vectors::kGoPeerRecordPrivateKeyHex);
  auto key = crypto::Ed25519PrivateKey::from_libp2p_bytes(BytesView(key_pb).subspan(4));
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  auto env = open_envelope(go_envelope, "libp2p-peer-record", hex("0301"));
  ASSERT_TRUE(env.ok()) << env.error().to_string();
  EXPECT_EQ(to_hex(seal_envelope(*key, "libp2p-peer-record", hex("0301"), env->payload)),
            to_hex(go_envelope));
}

TEST(Envelope, WrongDomainFails) {
  Bytes sealed = seal_envelope(test_key(1), kDomain, kType, to_bytes("x"));
  auto r = open_envelope(sealed, "libp2p-other", kType);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::crypto);
  EXPECT_EQ(open_envelope(sealed, "", kType).error().code, Errc::invalid_input);
}

TEST(Envelope, WrongPayloadTypeFails) {
  Bytes sealed = seal_envelope(test_key(1), kDomain, kType, to_bytes("x"));
  auto r = open_envelope(sealed, kDomain, hex("0301"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_input);
}

// Re-encodes a sealed envelope after `change`, keeping the original signature.
Bytes altered(const Bytes& sealed, void (*change)(Envelope&)) {
  Envelope env = decode_envelope(sealed).value();
  change(env);
  return encode_envelope(env);
}

TEST(Envelope, TamperingFails) {
  Bytes sealed = seal_envelope(test_key(1), kDomain, kType, to_bytes("hello world!"));
  const std::pair<const char*, void (*)(Envelope&)> cases[] = {
      {"payload", [](Envelope& e) { e.payload[0] ^= 1; }},
      {"payload appended", [](Envelope& e) { e.payload.push_back(0); }},
      {"signature", [](Envelope& e) { e.signature[10] ^= 0x40; }},
      {"signature high bit", [](Envelope& e) { e.signature[63] ^= 0x80; }},
      {"key",
       [](Envelope& e) {
         auto other = test_key(2).public_key();
         e.public_key.data.assign(other.begin(), other.end());
       }},
  };
  for (const auto& [name, change] : cases) {
    auto r = open_envelope(altered(sealed, change), kDomain, kType);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code, Errc::crypto) << name;
  }
  auto truncated_sig = altered(sealed, [](Envelope& e) { e.signature.pop_back(); });
  EXPECT_EQ(open_envelope(truncated_sig, kDomain, kType).error().code, Errc::crypto);
}

TEST(Envelope, OnlyEd25519KeysAreSupported) {
  Envelope env;
  env.public_key = {KeyType::secp256k1, Bytes(33, 0x02)};
  env.payload_type = kType;
  env.payload = to_bytes("x");
  env.signature = Bytes(70, 0x30);
  auto r = open_envelope(encode_envelope(env), kDomain, kType);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::unsupported);
}

TEST(Envelope, RejectsMissingFieldsAndOversize) {
  Bytes sealed = seal_envelope(test_key(1), kDomain, kType, to_bytes("x"));
  Envelope env = decode_envelope(sealed).value();

  pb::Writer no_signature;
  no_signature.bytes(1, encode_public_key(env.public_key));
  no_signature.bytes(2, env.payload_type);
  no_signature.bytes(3, env.payload);
  EXPECT_EQ(open_envelope(no_signature.data(), kDomain, kType).error().code, Errc::invalid_input);

  pb::Writer no_key;
  no_key.bytes(2, env.payload_type);
  no_key.bytes(3, env.payload);
  no_key.bytes(5, env.signature);
  EXPECT_EQ(open_envelope(no_key.data(), kDomain, kType).error().code, Errc::invalid_input);

  EXPECT_EQ(open_envelope(hex("0a0a"), kDomain, kType).error().code, Errc::invalid_input);
  EXPECT_EQ(open_envelope(hex("2801"), kDomain, kType).error().code, Errc::invalid_input);

  Bytes big = seal_envelope(test_key(1), kDomain, kType, Bytes(9000, 1));
  EXPECT_EQ(open_envelope(big, kDomain, kType).error().code, Errc::too_large);
  EXPECT_TRUE(open_envelope(big, kDomain, kType, EnvelopeLimits{16384}).ok());
}

TEST(Envelope, IgnoresUnknownFields) {
  Bytes sealed = seal_envelope(test_key(1), kDomain, kType, to_bytes("x"));
  pb::Writer extra;
  extra.varint(4, 7);
  extra.bytes(9, hex("00"));
  Bytes with_extra = sealed;
  append(with_extra, extra.data());
  auto env = open_envelope(with_extra, kDomain, kType);
  ASSERT_TRUE(env.ok()) << env.error().to_string();
  EXPECT_EQ(encode_envelope(*env), sealed);
}

}  // namespace
}  // namespace agora::record
