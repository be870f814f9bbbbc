#include "crypto/x25519.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace agora::crypto {
namespace {

X25519Key key_from_hex(std::string_view h) {
  Bytes b = from_hex(h).value();
  X25519Key k;
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

// RFC 7748 §5.2, first vector.
TEST(X25519, Rfc7748ScalarMult) {
  auto out =
      x25519(key_from_hex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
             key_from_hex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(to_hex(*out), "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
}

// RFC 7748 §6.1: Alice and Bob.
TEST(X25519, Rfc7748DiffieHellman) {
  auto alice = X25519KeyPair::from_private(
      key_from_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
  auto bob = X25519KeyPair::from_private(
      key_from_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
  EXPECT_EQ(to_hex(alice.public_key),
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  EXPECT_EQ(to_hex(bob.public_key),
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
  auto k1 = x25519(alice.private_key, bob.public_key);
  auto k2 = x25519(bob.private_key, alice.public_key);
  ASSERT_TRUE(k1.ok() && k2.ok());
  EXPECT_EQ(*k1, *k2);
  EXPECT_EQ(to_hex(*k1), "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

TEST(X25519, LowOrderPointsAreRefused) {
  auto ours = X25519KeyPair::generate();
  X25519Key zero{};
  X25519Key one{};
  one[0] = 1;
  for (const auto& bad : {zero, one}) {
    auto r = x25519(ours.private_key, bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::crypto);
  }
}

TEST(X25519, GeneratedPairsAgree) {
  auto a = X25519KeyPair::generate(), b = X25519KeyPair::generate();
  EXPECT_NE(a.public_key, b.public_key);
  EXPECT_EQ(*x25519(a.private_key, b.public_key), *x25519(b.private_key, a.public_key));
}

}  // namespace
}  // namespace agora::crypto
