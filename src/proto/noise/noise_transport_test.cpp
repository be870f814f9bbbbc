#include "proto/noise/noise_transport.h"

#include <gtest/gtest.h>

#include <random>

#include "crypto/random.h"
#include "proto/noise/noise_symmetric_state.h"

namespace agora::noise {
namespace {

struct TransportPair {
  NoiseTransport a;
  NoiseTransport b;
};

TransportPair make_pair(uint64_t a_send_nonce = 0, uint64_t b_recv_nonce = 0) {
  crypto::AeadKey k1, k2;
  crypto::random_bytes(k1.data(), k1.size());
  crypto::random_bytes(k2.data(), k2.size());
  return {NoiseTransport(crypto::ChaChaPoly(k1), crypto::ChaChaPoly(k2), a_send_nonce, 0),
          NoiseTransport(crypto::ChaChaPoly(k2), crypto::ChaChaPoly(k1), 0, b_recv_nonce)};
}

// Feeds `wire` to `t` in random chunks (sometimes empty, sometimes 1 byte, sometimes large).
Status decrypt_chunked(NoiseTransport& t, BytesView wire, Bytes& plain, std::mt19937& rng) {
  size_t pos = 0;
  while (pos < wire.size()) {
    size_t n;
    switch (rng() % 4) {
      case 0:
        n = 0;
        break;
      case 1:
        n = 1;
        break;
      case 2:
        n = rng() % 100;
        break;
      default:
        n = rng() % 150000;
        break;
    }
    n = std::min(n, wire.size() - pos);
    AGORA_TRY(t.decrypt(wire.subspan(pos, n), plain));
    pos += n;
  }
  return {};
}

TEST(NoiseTransport, RoundTripSizesWithRandomChunking) {
  std::mt19937 rng(42);
  for (size_t size : {size_t(0), size_t(1), size_t(65519), size_t(65520), size_t(1) << 20}) {
    auto [a, b] = make_pair();
    Bytes msg = crypto::random_bytes(size);
    Bytes wire;
    a.encrypt(msg, wire);
    const size_t frames = (size + kNoiseSendPlaintextBytes - 1) / kNoiseSendPlaintextBytes;
    EXPECT_EQ(wire.size(), size + frames * 18) << size;
    EXPECT_EQ(a.send_nonce(), frames);
    // Every frame is at most 65535 bytes after its header.
    for (size_t pos = 0; pos < wire.size();) {
      size_t len = get_u16_be(wire.data() + pos);
      EXPECT_GE(len, 16u);
      pos += 2 + len;
      EXPECT_LE(pos, wire.size());
    }
    Bytes plain;
    ASSERT_TRUE(decrypt_chunked(b, wire, plain, rng).ok()) << size;
    EXPECT_EQ(plain, msg) << size;
    EXPECT_EQ(b.buffered_bytes(), 0u);
    EXPECT_EQ(b.recv_nonce(), frames);
  }
}

TEST(NoiseTransport, ByteByByteAndManyMessages) {
  auto [a, b] = make_pair();
  Bytes wire, expected;
  for (int i = 0; i < 20; ++i) {
    Bytes m = crypto::random_bytes(size_t(i * 13 + 1));
    append(expected, m);
    a.encrypt(m, wire);
  }
  Bytes plain;
  for (uint8_t byte : wire) ASSERT_TRUE(b.decrypt(BytesView(&byte, 1), plain).ok());
  EXPECT_EQ(plain, expected);
}

static_assert(kNoiseSendPlaintextBytes == 65408 && kNoiseSendPlaintextBytes % 128 == 0);

TEST(NoiseTransport, AcceptsMaximumSizeFramesFromPeers) {
  // Other implementations fill frames to 65519 plaintext bytes (65535 on the wire).
  crypto::AeadKey k{};
  crypto::ChaChaPoly sealer(k);
  Bytes msg = crypto::random_bytes(kNoisePlaintextBytesMax);
  Bytes wire(2 + kNoiseMessageBytesMax);
  put_u16_be(wire.data(), uint16_t(kNoiseMessageBytesMax));
  sealer.seal(0, {}, msg, wire.data() + 2);
  NoiseTransport t{crypto::ChaChaPoly(k), crypto::ChaChaPoly(k)};
  Bytes plain;
  std::mt19937 rng(9);
  ASSERT_TRUE(decrypt_chunked(t, wire, plain, rng).ok());
  EXPECT_EQ(plain, msg);
}

TEST(NoiseTransport, EmptyFrameFromPeerIsAccepted) {
  // Other implementations may send a frame holding only a tag.
  crypto::AeadKey k{};
  crypto::ChaChaPoly sealer(k);
  Bytes wire(2 + 16);
  put_u16_be(wire.data(), 16);
  sealer.seal(0, {}, {}, wire.data() + 2);
  NoiseTransport t{crypto::ChaChaPoly(k), crypto::ChaChaPoly(k)};
  Bytes plain = to_bytes("x");
  ASSERT_TRUE(t.decrypt(wire, plain).ok());
  EXPECT_EQ(plain, to_bytes("x"));
  EXPECT_EQ(t.recv_nonce(), 1u);
}

TEST(NoiseTransport, TamperedFrameFailsAndStaysFailed) {
  std::mt19937 rng(1);
  for (size_t flip : {size_t(2), size_t(100), size_t(2 + 300 + 15)}) {
    auto [a, b] = make_pair();
    Bytes good, wire;
    a.encrypt(as_bytes("first frame"), good);
    a.encrypt(crypto::random_bytes(300), wire);
    wire[flip] ^= 0x80;
    Bytes plain;
    ASSERT_TRUE(b.decrypt(good, plain).ok());
    auto st = decrypt_chunked(b, wire, plain, rng);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::crypto);
    EXPECT_EQ(as_chars(plain), "first frame");  // nothing unauthenticated was appended
    auto again = b.decrypt(good, plain);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::crypto);
  }
}

TEST(NoiseTransport, ReplayOrReorderFails) {
  auto [a, b] = make_pair();
  Bytes f1, f2, plain;
  a.encrypt(as_bytes("one"), f1);
  a.encrypt(as_bytes("two"), f2);
  auto st = b.decrypt(f2, plain);  // nonce 1 presented while 0 is expected
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::crypto);
}

TEST(NoiseTransport, FrameShorterThanTagIsRejected) {
  auto [a, b] = make_pair();
  const uint8_t frame[] = {0x00, 0x03, 1, 2, 3};
  Bytes plain;
  auto st = b.decrypt(frame, plain);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::crypto);
  EXPECT_TRUE(plain.empty());
}

TEST(NoiseTransport, SendStopsBeforeReservedNonce) {
  auto [a, b] = make_pair(noise::kNonceMax - 2, noise::kNonceMax - 2);
  Bytes wire;
  a.encrypt(crypto::random_bytes(kNoisePlaintextBytesMax + 10), wire);  // two frames: both fit
  EXPECT_FALSE(a.send_exhausted());
  EXPECT_EQ(a.send_nonce(), noise::kNonceMax);
  Bytes plain;
  ASSERT_TRUE(b.decrypt(wire, plain).ok());
  EXPECT_EQ(plain.size(), kNoisePlaintextBytesMax + 10);
  Bytes more;
  a.encrypt(as_bytes("x"), more);
  EXPECT_TRUE(more.empty());
  EXPECT_TRUE(a.send_exhausted());
}

TEST(NoiseTransport, PartialSendAtNonceLimit) {
  auto [a, b] = make_pair(noise::kNonceMax - 1, noise::kNonceMax - 1);
  Bytes wire;
  a.encrypt(crypto::random_bytes(kNoisePlaintextBytesMax + 10), wire);  // only one frame fits
  EXPECT_TRUE(a.send_exhausted());
  EXPECT_EQ(wire.size(), 2 + kNoiseSendPlaintextBytes + 16);
  Bytes plain;
  ASSERT_TRUE(b.decrypt(wire, plain).ok());
  EXPECT_EQ(plain.size(), kNoiseSendPlaintextBytes);
  // The receiver refuses to go past the reserved nonce as well.
  Bytes extra(2 + 16, 0);
  put_u16_be(extra.data(), 16);
  auto st = b.decrypt(extra, plain);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::limit);
}

}  // namespace
}  // namespace agora::noise
