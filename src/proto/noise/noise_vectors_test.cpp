// Known-answer test: Noise_XX_25519_ChaChaPoly_SHA256 from the cacophony vectors
// (mcginty/snow tests/vectors/cacophony.txt @ 62fbfae2). Prologue "John Galt", fixed keys.
#include <gtest/gtest.h>

#include <algorithm>

#include "proto/noise/noise_transport.h"
#include "proto/noise/noise_xx_state.h"

namespace agora::noise {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

crypto::X25519KeyPair key_pair(std::string_view private_hex) {
  Bytes b = hex(private_hex);
  crypto::X25519Key k;
  std::copy(b.begin(), b.end(), k.begin());
  return crypto::X25519KeyPair::from_private(k);
}

struct VectorMessage {
  std::string_view payload;
  std::string_view ciphertext;
};

constexpr std::string_view kPrologue = "4a6f686e2047616c74";
constexpr std::string_view kInitStatic =
    "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
constexpr std::string_view kInitEphemeral =
    "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
constexpr std::string_view kRespStatic =
    "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
constexpr std::string_view kRespEphemeral =
    "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";
constexpr std::string_view kHandshakeHash =
    "e37b138ecd936a2b3c3532fb2cc499bdee2746dbfc19e9490964c79fd14bd88b";

const VectorMessage kMessages[] = {
    {"4c756477696720766f6e204d69736573",
     "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d6973"
     "6573"},
    {"4d757272617920526f746862617264",
     "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b6"
     "5285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f"
     "8a0db50f8814c7194e83f23dbd8d162c9326ad"},
    {"462e20412e20486179656b",
     "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865"
     "b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"},
    // Transport messages: responder, initiator, responder.
    {"4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
    {"4a65616e2d426170746973746520536179",
     "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"},
    {"457567656e2042f6686d20766f6e2042617765726b",
     "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"},
};

TEST(NoiseVectors, CacophonyXx25519ChaChaPolySha256) {
  Bytes prologue = hex(kPrologue);
  auto init_s = key_pair(kInitStatic), resp_s = key_pair(kRespStatic);
  XxHandshakeState init(true, init_s, prologue, key_pair(kInitEphemeral));
  XxHandshakeState resp(false, resp_s, prologue, key_pair(kRespEphemeral));

  for (int i = 0; i < 3; ++i) {
    XxHandshakeState& writer = i % 2 == 0 ? init : resp;
    XxHandshakeState& reader = i % 2 == 0 ? resp : init;
    Bytes msg;
    ASSERT_TRUE(writer.write_message(hex(kMessages[i].payload), msg).ok()) << i;
    EXPECT_EQ(to_hex(msg), kMessages[i].ciphertext) << "message " << i;
    Bytes payload;
    ASSERT_TRUE(reader.read_message(msg, payload).ok()) << i;
    EXPECT_EQ(to_hex(payload), kMessages[i].payload) << i;
    EXPECT_EQ(init.handshake_hash(), resp.handshake_hash()) << i;
    // The file's `handshake_hash` is h before the last handshake message (the same holds for
    // its NN vectors: h after message 1), not GetHandshakeHash() after message 3.
    if (i == 1) {
      EXPECT_EQ(to_hex(init.handshake_hash()), kHandshakeHash);
    }
  }
  ASSERT_TRUE(init.complete() && resp.complete());
  // Final h = SHA256(h || message 3 payload ciphertext), matching an independent Python model.
  EXPECT_EQ(to_hex(init.handshake_hash()),
            "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e");
  EXPECT_EQ(init.remote_static(), resp_s.public_key);
  EXPECT_EQ(resp.remote_static(), init_s.public_key);

  // Transport through NoiseTransport: frames are u16 BE length || the vector ciphertext.
  auto make_transport = [](XxHandshakeState& hs, bool initiator) {
    auto [c1, c2] = hs.split();
    auto [k1, n1] = std::move(c1).take();
    auto [k2, n2] = std::move(c2).take();
    return initiator ? noise::NoiseTransport(std::move(k1), std::move(k2), n1, n2)
                     : noise::NoiseTransport(std::move(k2), std::move(k1), n2, n1);
  };
  noise::NoiseTransport init_t = make_transport(init, true);
  noise::NoiseTransport resp_t = make_transport(resp, false);
  for (int i = 3; i < 6; ++i) {
    noise::NoiseTransport& sender = i % 2 == 1 ? resp_t : init_t;
    noise::NoiseTransport& receiver = i % 2 == 1 ? init_t : resp_t;
    Bytes framed;
    sender.encrypt(hex(kMessages[i].payload), framed);
    ASSERT_GE(framed.size(), 2u);
    EXPECT_EQ(get_u16_be(framed.data()), framed.size() - 2);
    EXPECT_EQ(to_hex(BytesView(framed).subspan(2)), kMessages[i].ciphertext) << "message " << i;
    Bytes plain;
    ASSERT_TRUE(receiver.decrypt(framed, plain).ok()) << i;
    EXPECT_EQ(to_hex(plain), kMessages[i].payload);
  }
}

TEST(NoiseVectors, SymmetricStateUsesUnhashedName) {
  // "Noise_XX_25519_ChaChaPoly_SHA256" is exactly 32 bytes: h starts as the name itself.
  SymmetricState ss(kNoiseXxProtocolName);
  EXPECT_EQ(as_chars(ss.handshake_hash()), kNoiseXxProtocolName);
}

}  // namespace
}  // namespace agora::noise
