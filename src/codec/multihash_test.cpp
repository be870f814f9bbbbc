#include "codec/multihash.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

TEST(Multihash, Sha2_256OfFoo) {
  // multiformats/multihash tests/values/test_cases.csv: sha2-256 of "foo".
  Multihash mh = multihash_sha2_256(as_bytes("foo"));
  EXPECT_EQ(to_hex(encode_multihash(mh)),
            "12202c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
  auto back = decode_multihash(encode_multihash(mh));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, mh);
}

TEST(Multihash, Identity) {
  Multihash mh = multihash_identity(as_bytes("foo"));
  EXPECT_EQ(to_hex(encode_multihash(mh)), "0003666f6f");
  auto back = decode_multihash(from_hex("0003666f6f").value());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->code, kMhIdentity);
  EXPECT_EQ(as_chars(back->digest), "foo");
  EXPECT_TRUE(decode_multihash(from_hex("0000").value()).ok());  // empty identity digest
}

TEST(Multihash, Rejects) {
  auto bad = [](std::string_view h) { return !decode_multihash(from_hex(h).value()).ok(); };
  EXPECT_TRUE(bad(""));
  EXPECT_TRUE(bad("12"));
  EXPECT_TRUE(bad("0003666f"));      // digest shorter than its length
  EXPECT_TRUE(bad("0003666f6f6f"));  // trailing bytes
  EXPECT_TRUE(bad("1203616263"));    // sha2-256 must be 32 bytes
  EXPECT_TRUE(bad("800003666f6f"));  // non-minimal code varint
  EXPECT_TRUE(bad("008003666f6f"));  // length 384 runs past the end
  Bytes long_identity = {0x00, 0x81, 0x01};
  long_identity.resize(3 + 129, 0xaa);  // over kMhIdentityBytesMax
  EXPECT_FALSE(decode_multihash(long_identity).ok());
}

}  // namespace
}  // namespace agora
