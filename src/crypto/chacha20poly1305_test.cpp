#include "crypto/chacha20poly1305.h"

#include <gtest/gtest.h>

#include "crypto/chacha20poly1305_raw.h"
#include "crypto/random.h"

namespace agora::crypto {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

AeadKey rfc_key() {
  AeadKey key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(0x80 + i);
  return key;
}

const std::string_view kRfcPlaintext =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";
const std::string_view kRfcAd = "50515253c0c1c2c3c4c5c6c7";

// RFC 8439 §2.8.2 (nonce 07000000 40414243 44454647, which the Noise layout cannot express).
TEST(ChaChaPoly, Rfc8439AeadVectorRawNonce) {
  const uint8_t nonce[12] = {0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
  Bytes ad = hex(kRfcAd);
  Bytes out(kRfcPlaintext.size() + kAeadTagBytes);
  detail::chacha20poly1305_seal_raw(rfc_key(), nonce, ad, as_bytes(kRfcPlaintext), out.data());
  EXPECT_EQ(to_hex(out),
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb"
            "69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad6"
            "75945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116"
            "1ae10b594f09e26a7e902ecbd0600691");
  Bytes back(kRfcPlaintext.size());
  ASSERT_TRUE(detail::chacha20poly1305_open_raw(rfc_key(), nonce, ad, out, back.data()).ok());
  EXPECT_EQ(as_chars(back), kRfcPlaintext);
}

// The same key, AD and plaintext with the Noise nonce layout 00000000 || le64(n): n chosen so
// that the last 8 nonce bytes equal the RFC's (40..47). Expected value computed independently
// (Python `cryptography`, nonce 000000004041424344454647).
TEST(ChaChaPoly, NoiseNonceLayoutDerivedFromRfcVector) {
  ChaChaPoly aead(rfc_key());
  Bytes ad = hex(kRfcAd);
  Bytes out(kRfcPlaintext.size() + kAeadTagBytes);
  aead.seal(0x4746454443424140ull, ad, as_bytes(kRfcPlaintext), out.data());
  EXPECT_EQ(to_hex(out),
            "a479cb54628946d6f4042a8e384ef4bd2fbc7330b8be55eb2d8dc18aaa51d66a8ec1f8d3619a258db0ac56"
            "956015b7b4937e9b8e6aa957b3dc0214d803d77660aabc913092971da8f207171ce7843608162e2e759d8e"
            "fc25d8d0936990af63c820ba87e8a955b5c8274ef7d10f6fafd046472dbf189b668bd430aef9147e99cb6c"
            "89");
  const uint8_t raw_nonce[12] = {0, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
  Bytes raw(out.size());
  detail::chacha20poly1305_seal_raw(rfc_key(), raw_nonce, ad, as_bytes(kRfcPlaintext), raw.data());
  EXPECT_EQ(raw, out);
}

TEST(ChaChaPoly, EmptyPlaintextIsJustTheTag) {
  ChaChaPoly aead(rfc_key());
  uint8_t tag[kAeadTagBytes];
  aead.seal(5, {}, {}, tag);
  EXPECT_EQ(to_hex(BytesView(tag, sizeof tag)), "087f5df1cd4921a6ba7ccd772bcf8e9a");
  EXPECT_TRUE(aead.open(5, {}, BytesView(tag, sizeof tag), nullptr).ok());
  EXPECT_FALSE(aead.open(6, {}, BytesView(tag, sizeof tag), nullptr).ok());
}

TEST(ChaChaPoly, RoundTripReusesKeyAcrossNonces) {
  AeadKey key;
  random_bytes(key.data(), key.size());
  ChaChaPoly a(key), b(key);
  for (uint64_t n = 0; n < 50; ++n) {
    Bytes pt = random_bytes(size_t(n * 37));
    Bytes ad = random_bytes(size_t(n % 5));
    Bytes ct(pt.size() + kAeadTagBytes);
    a.seal(n, ad, pt, ct.data());
    Bytes back(pt.size());
    ASSERT_TRUE(b.open(n, ad, ct, back.data()).ok()) << n;
    EXPECT_EQ(back, pt);
  }
}

TEST(ChaChaPoly, OpenInPlace) {
  ChaChaPoly aead(rfc_key());
  Bytes pt = random_bytes(1000);
  Bytes buf(pt.size() + kAeadTagBytes);
  aead.seal(9, {}, pt, buf.data());
  ASSERT_TRUE(aead.open(9, {}, buf, buf.data()).ok());
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + 1000), pt);
}

TEST(ChaChaPoly, TamperingIsDetected) {
  ChaChaPoly aead(rfc_key());
  Bytes pt = to_bytes("attack at dawn");
  Bytes ad = to_bytes("header");
  Bytes ct(pt.size() + kAeadTagBytes);
  aead.seal(1, ad, pt, ct.data());
  Bytes out(pt.size());
  for (size_t i = 0; i < ct.size(); ++i) {
    Bytes bad = ct;
    bad[i] ^= 0x01;
    auto st = aead.open(1, ad, bad, out.data());
    ASSERT_FALSE(st.ok()) << i;
    EXPECT_EQ(st.error().code, Errc::crypto);
    EXPECT_EQ(out, Bytes(pt.size(), 0));  // no unauthenticated plaintext left behind
  }
  EXPECT_FALSE(aead.open(2, ad, ct, out.data()).ok());                       // wrong nonce
  EXPECT_FALSE(aead.open(1, to_bytes("headex"), ct, out.data()).ok());       // wrong AD
  EXPECT_FALSE(aead.open(1, ad, BytesView(ct).first(15), out.data()).ok());  // shorter than tag
  EXPECT_TRUE(aead.open(1, ad, ct, out.data()).ok());  // state is fine after failures
  EXPECT_EQ(out, pt);
}

TEST(ChaChaPoly, MoveKeepsKey) {
  ChaChaPoly a(rfc_key());
  ChaChaPoly b(std::move(a));
  ChaChaPoly c(AeadKey{});
  c = std::move(b);
  uint8_t tag[kAeadTagBytes];
  c.seal(5, {}, {}, tag);
  EXPECT_EQ(to_hex(BytesView(tag, sizeof tag)), "087f5df1cd4921a6ba7ccd772bcf8e9a");
}

}  // namespace
}  // namespace agora::crypto
