#include "proto/kad/key.h"

#include <gtest/gtest.h>

#include "proto/kad/test_util.h"

namespace agora::kad {
namespace {

Key key_with(std::initializer_list<uint8_t> head) {
  Key k;
  size_t i = 0;
  for (uint8_t b : head) k.bytes[i++] = b;
  return k;
}

TEST(KadKey, IsSha256OfTheRawBytes) {
  EXPECT_EQ(to_hex(Key::from_bytes({}).bytes),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const PeerId id = test::peer(1);
  EXPECT_EQ(Key::of(id), Key::from_bytes(id.bytes()));
}

TEST(KadKey, DistanceIsXor) {
  const Key a = key_with({0xf0, 0x0f});
  const Key b = key_with({0x0f, 0x0f});
  const Distance d = distance(a, b);
  EXPECT_EQ(d.bytes[0], 0xff);
  EXPECT_EQ(d.bytes[1], 0x00);
  EXPECT_EQ(distance(a, b), distance(b, a));
  EXPECT_EQ(distance(a, a), Distance{});
  // Ordering is big-endian: a difference in the first byte outweighs everything after it.
  EXPECT_LT(distance(a, key_with({0xf0, 0xff})), distance(a, key_with({0xf1})));
}

TEST(KadKey, CommonPrefixLength) {
  const Key zero;
  EXPECT_EQ(common_prefix_length(zero, zero), 256);
  EXPECT_EQ(common_prefix_length(zero, key_with({0x80})), 0);
  EXPECT_EQ(common_prefix_length(zero, key_with({0x40})), 1);
  EXPECT_EQ(common_prefix_length(zero, key_with({0x01})), 7);
  EXPECT_EQ(common_prefix_length(zero, key_with({0x00, 0x80})), 8);
  Key last;
  last.bytes[31] = 1;
  EXPECT_EQ(common_prefix_length(zero, last), 255);
  EXPECT_EQ(leading_zero_bits(distance(zero, last)), 255);
}

TEST(KadKey, RefreshKeysHaveTheAskedCpl) {
  for (uint64_t n = 0; n < 4; ++n) {
    const Key self = Key::of(test::peer(n));
    for (int cpl = 0; cpl < kRefreshCplLimit; ++cpl) {
      for (uint64_t r = 0; r < 3; ++r) {
        const Bytes b = key_bytes_with_cpl(self, cpl, n * 100 + r);
        ASSERT_EQ(b.size(), 34u);
        EXPECT_EQ(b[0], 0x12);
        EXPECT_EQ(common_prefix_length(self, Key::from_bytes(b)), cpl) << "cpl " << cpl;
      }
    }
  }
}

}  // namespace
}  // namespace agora::kad
