#include "proto/noise/noise_payload.h"

#include <gtest/gtest.h>

#include "codec/protobuf.h"

namespace agora::noise {
namespace {

TEST(NoisePayload, RoundTripWithExtensions) {
  NoiseHandshakePayload p;
  p.identity_key = to_bytes("\x08\x01\x12\x20" + std::string(32, 'k'));
  p.identity_sig = Bytes(64, 0x5a);
  p.extensions = NoiseExtensions{{to_bytes("hash1")}, {"/yamux/1.0.0", "/mplex/6.7.0"}};
  Bytes wire = encode_noise_payload(p);
  auto back = decode_noise_payload(wire, {});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->identity_key, p.identity_key);
  EXPECT_EQ(back->identity_sig, p.identity_sig);
  ASSERT_TRUE(back->extensions);
  EXPECT_EQ(back->extensions->stream_muxers, p.extensions->stream_muxers);
  EXPECT_EQ(back->extensions->webtransport_certhashes, p.extensions->webtransport_certhashes);
}

TEST(NoisePayload, WireLayoutIsFieldOrdered) {
  NoiseHandshakePayload p;
  p.identity_key = {1};
  p.identity_sig = {2};
  p.extensions = NoiseExtensions{{}, {"/y"}};
  // 0a 01 01 | 12 01 02 | 22 04 (12 02 '/' 'y')
  EXPECT_EQ(to_hex(encode_noise_payload(p)), "0a0101120102220412022f79");
  p.extensions.reset();
  EXPECT_EQ(to_hex(encode_noise_payload(p)), "0a0101120102");
}

TEST(NoisePayload, UnknownAndRetiredFieldsAreSkipped) {
  pb::Writer w;
  w.bytes(1, to_bytes("key"));
  w.bytes(3, to_bytes("old early data"));
  w.varint(9, 7);
  w.bytes(2, to_bytes("sig"));
  auto p = decode_noise_payload(w.data(), {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->identity_key, to_bytes("key"));
  EXPECT_EQ(p->identity_sig, to_bytes("sig"));
  EXPECT_FALSE(p->extensions);
}

TEST(NoisePayload, LimitsAndDuplicates) {
  NoisePayloadLimits limits;
  NoiseHandshakePayload p;
  p.extensions = NoiseExtensions{};
  for (size_t i = 0; i <= limits.stream_muxers_max; ++i) p.extensions->stream_muxers.push_back("m");
  auto r = decode_noise_payload(encode_noise_payload(p), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);

  p.extensions->stream_muxers = {std::string(limits.stream_muxer_bytes_max + 1, 'm')};
  r = decode_noise_payload(encode_noise_payload(p), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);

  p.extensions->stream_muxers.clear();
  p.extensions->webtransport_certhashes.assign(limits.certhashes_max + 1, Bytes{1});
  r = decode_noise_payload(encode_noise_payload(p), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);

  pb::Writer dup;
  dup.bytes(1, to_bytes("a"));
  dup.bytes(1, to_bytes("b"));
  r = decode_noise_payload(dup.data(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_input);

  pb::Writer big;
  big.bytes(1, Bytes(limits.identity_key_bytes_max + 1, 0));
  r = decode_noise_payload(big.data(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
}

TEST(NoisePayload, MalformedProtobufIsInvalid) {
  const uint8_t truncated[] = {0x0a, 0x05, 'a'};
  auto r = decode_noise_payload(truncated, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_input);
  const uint8_t bad_ext[] = {0x22, 0x02, 0x12, 0x09};
  r = decode_noise_payload(bad_ext, {});
  ASSERT_FALSE(r.ok());
}

}  // namespace
}  // namespace agora::noise
