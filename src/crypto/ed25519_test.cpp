#include "crypto/ed25519.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace agora::crypto {
namespace {

Ed25519Seed seed_from_hex(std::string_view h) {
  Bytes b = from_hex(h).value();
  Ed25519Seed s;
  std::copy(b.begin(), b.end(), s.begin());
  return s;
}

// RFC 8032 §7.1 TEST 1 (empty message) and TEST 2 (one byte).
TEST(Ed25519, Rfc8032Test1) {
  auto key = Ed25519PrivateKey::from_seed(
      seed_from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(to_hex(key.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto sig = key.sign({});
  EXPECT_EQ(to_hex(sig),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39"
            "701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(ed25519_verify(key.public_key(), {}, sig));
}

TEST(Ed25519, Rfc8032Test2) {
  auto key = Ed25519PrivateKey::from_seed(
      seed_from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"));
  EXPECT_EQ(to_hex(key.public_key()),
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const uint8_t msg[] = {0x72};
  EXPECT_EQ(to_hex(key.sign(msg)),
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f36"
            "13d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

TEST(Ed25519, VerifyRejectsWrongMessageKeyOrSignature) {
  auto key = Ed25519PrivateKey::generate();
  auto other = Ed25519PrivateKey::generate();
  Bytes msg = to_bytes("noise-libp2p-static-key:");
  auto sig = key.sign(msg);
  EXPECT_TRUE(ed25519_verify(key.public_key(), msg, sig));
  EXPECT_FALSE(ed25519_verify(other.public_key(), msg, sig));
  Bytes msg2 = msg;
  msg2.back() ^= 1;
  EXPECT_FALSE(ed25519_verify(key.public_key(), msg2, sig));
  auto bad = sig;
  bad[10] ^= 0x40;
  EXPECT_FALSE(ed25519_verify(key.public_key(), msg, bad));
  EXPECT_FALSE(ed25519_verify(key.public_key(), msg, BytesView(sig).first(63)));
  Bytes longer(sig.begin(), sig.end());
  longer.push_back(0);
  EXPECT_FALSE(ed25519_verify(key.public_key(), msg, longer));
}

TEST(Ed25519, Libp2pBytesRoundTripAndChecks) {
  auto key = Ed25519PrivateKey::generate();
  Bytes data = key.to_libp2p_bytes();
  ASSERT_EQ(data.size(), 64u);
  auto back = Ed25519PrivateKey::from_libp2p_bytes(data);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->public_key(), key.public_key());
  EXPECT_EQ(back->seed(), key.seed());

  Bytes legacy = data;
  legacy.insert(legacy.end(), key.public_key().begin(), key.public_key().end());
  EXPECT_TRUE(Ed25519PrivateKey::from_libp2p_bytes(legacy).ok());
  legacy[70] ^= 1;
  EXPECT_FALSE(Ed25519PrivateKey::from_libp2p_bytes(legacy).ok());

  Bytes wrong_pub = data;
  wrong_pub[40] ^= 1;
  auto r = Ed25519PrivateKey::from_libp2p_bytes(wrong_pub);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(Ed25519PrivateKey::from_libp2p_bytes(BytesView(data).first(63)).ok());
}

TEST(Ed25519, CopiesSignAlike) {
  auto key = Ed25519PrivateKey::generate();
  Ed25519PrivateKey copy = key;
  Ed25519PrivateKey assigned = Ed25519PrivateKey::generate();
  assigned = key;
  Bytes msg = to_bytes("m");
  EXPECT_EQ(copy.sign(msg), key.sign(msg));  // Ed25519 is deterministic
  EXPECT_EQ(assigned.sign(msg), key.sign(msg));
}

}  // namespace
}  // namespace agora::crypto
