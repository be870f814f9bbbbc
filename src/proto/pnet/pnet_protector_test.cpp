#include "proto/pnet/pnet_protector.h"

#include <gtest/gtest.h>

namespace agora::pnet {
namespace {

PreSharedKey key_from_hex(std::string_view h) {
  Bytes b = from_hex(h).value();
  PreSharedKey k;
  std::copy(b.begin(), b.end(), k.bytes.begin());
  return k;
}

crypto::XSalsa20Nonce nonce(uint8_t fill) {
  crypto::XSalsa20Nonce n;
  n.fill(fill);
  return n;
}

const PreSharedKey kKey =
    key_from_hex("6189c5cf0b87fb800c1a9feeda73c6ab5e998db48fb9e6a978575c770ceef683");

// rust-libp2p's pnet test gives this key's fingerprint, "checked against go-ipfs output".
TEST(Pnet, FingerprintMatchesGoIpfs) {
  EXPECT_EQ(fingerprint(kKey), "45fc986bbc9388a11d939df26f730f0c");
}

// What one side puts on the wire: its nonce, then `plain` encrypted.
Bytes wire(PnetProtector& p, std::string_view plain) {
  Bytes out;
  p.take_output(out);
  Bytes body(plain.begin(), plain.end());
  p.encrypt(body);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// Feeds `bytes` to `p` in chunks of `chunk` bytes; returns the plaintext or the first error.
Result<std::string> feed(PnetProtector& p, Bytes bytes, size_t chunk) {
  std::string plain;
  for (size_t pos = 0; pos < bytes.size(); pos += chunk) {
    size_t n = std::min(chunk, bytes.size() - pos);
    auto r = p.on_bytes(std::span<uint8_t>(bytes.data() + pos, n));
    if (!r) return r.error();
    plain.append(r->begin(), r->end());
  }
  return plain;
}

const std::string kHello = std::string(kMultistreamHeader) + "\x07/noise\n";

TEST(Pnet, SameKeyBothWaysAnyChunking) {
  for (size_t chunk : {1, 3, 24, 25, 1000}) {
    PnetProtector a(kKey, nonce(1));
    PnetProtector b(kKey, nonce(2));
    auto at_b = feed(b, wire(a, kHello), chunk);
    ASSERT_TRUE(at_b.ok()) << at_b.error().message;
    EXPECT_EQ(*at_b, kHello);
    auto at_a = feed(a, wire(b, kHello), chunk);
    ASSERT_TRUE(at_a.ok()) << at_a.error().message;
    EXPECT_EQ(*at_a, kHello);
    EXPECT_TRUE(a.remote_ready());
    EXPECT_TRUE(a.prefix_verified());
  }
}

// The bytes after the nonce are XSalsa20(key, sender's nonce): checked against the one-shot call.
TEST(Pnet, WireIsNonceThenXSalsa20OfTheSendersNonce) {
  PnetProtector a(kKey, nonce(9));
  Bytes w = wire(a, kHello);
  ASSERT_EQ(w.size(), kNonceBytes + kHello.size());
  EXPECT_EQ(Bytes(w.begin(), w.begin() + kNonceBytes), Bytes(kNonceBytes, 9));
  Bytes expect(kHello.begin(), kHello.end());
  crypto::xsalsa20_xor(expect.data(), expect.size(), kKey.bytes, nonce(9));
  EXPECT_EQ(Bytes(w.begin() + kNonceBytes, w.end()), expect);
}

TEST(Pnet, AnotherKeyIsRefusedWithinTheHeader) {
  PreSharedKey other = kKey;
  other.bytes[0] ^= 1;
  PnetProtector a(other, nonce(1));
  PnetProtector b(kKey, nonce(2));
  Bytes w = wire(a, kHello);
  // Byte by byte: the nonce passes, and one of the header's 20 bytes fails to decrypt to itself
  // (each does with odds 1/256), long before the negotiation could wait on a garbled length.
  size_t fed = 0;
  Status failure;
  for (; fed < w.size() && failure.ok(); ++fed) {
    auto r = b.on_bytes(std::span<uint8_t>(w.data() + fed, 1));
    if (!r) failure = r.error();
  }
  ASSERT_FALSE(failure.ok());
  EXPECT_LE(fed, kNonceBytes + kMultistreamHeader.size());
  EXPECT_GT(fed, kNonceBytes);
  EXPECT_EQ(failure.error().code, Errc::crypto);
  EXPECT_TRUE(failure.error().message.starts_with(kNotInNetwork)) << failure.error().message;
  EXPECT_FALSE(b.prefix_verified());
  // Sticky.
  uint8_t more = 0;
  EXPECT_FALSE(b.on_bytes(std::span<uint8_t>(&more, 1)).ok());
}

TEST(Pnet, PeerWithoutKeyIsNamed) {
  PnetProtector b(kKey, nonce(2));
  std::string plain = kHello;  // what a public dialer sends
  auto r = feed(b, Bytes(plain.begin(), plain.end()), 5);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::crypto);
  EXPECT_NE(r.error().message.find("plain multistream-select"), std::string::npos)
      << r.error().message;
}

TEST(Pnet, AfterThePrefixAnyBytesPass) {
  PnetProtector a(kKey, nonce(1));
  PnetProtector b(kKey, nonce(2));
  std::string text = kHello + std::string(5000, '\xff');
  auto r = feed(b, wire(a, text), 777);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, text);
}

TEST(Pnet, NonceIsSentOnce) {
  PnetProtector a(kKey, nonce(1));
  Bytes out;
  a.take_output(out);
  a.take_output(out);
  EXPECT_EQ(out.size(), kNonceBytes);
  EXPECT_TRUE(a.nonce_sent());
}

}  // namespace
}  // namespace agora::pnet
