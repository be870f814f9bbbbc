#include "codec/murmur3.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

std::string hash_hex(BytesView data) {
  auto h = murmur3_x64_128_bytes(data);
  return to_hex(h);
}

// Expected values printed by @multiformats/murmur3 2.2.8 (murmur3128.encode) under Node 22:
//   for n in 0..33: bytes b[i] = (i*37 + 200) & 255, print hex of the 16-byte result.
TEST(Murmur3, MatchesJsForEveryTailLength) {
  const char* expected[] = {
      "00000000000000000000000000000000", "a46bd16248e551c30576fa7f1e47c1f6",
      "e3304859fea69b98577c63caa7f6111f", "1992c2c31158994d143caefcd93db752",
      "41bff0560ab0f92c9835febe0267099a", "183680d3a1474632f724033002ac961b",
      "27a4dff7f4cce6a98e596b2971a1a715", "cf7b85bf8584968d8620290c2702e00b",
      "8c77ad3171d401d808fba2669a9bf14b", "efc048af822f9d547000ebb5eeced296",
      "ed12443dc33f2dc65e59cf18ebaee7b0", "1b496dd0a682698a6d7b3711672dbe58",
      "1136832c61247ef8274b50fc6b3cf3dd", "e630146d9dc7d0222fa13e398d9d4907",
      "208aae7e1f6f34e765706f64f299e628", "1237ca845d4c1800a173c723df24bf12",
      "015deb6369b72afb380ec9c7fc76a585", "067f69ffe052646e77c57f2161e28472",
      "b52a5242afb4d50b8f7990661df6c984", "5593143fd05b4de23fda36a9d8f2a6e2",
      "abd939555a067bf22f247a53b94ad1f2", "f53f451fda48c62b141f1a4bb831553e",
      "d2db9b951d9c3a551469f46cd876b470", "6243d84e98142aa42a59653c61ad080c",
      "8073d71cf8f630eeeb8f8d3896b4f624", "cb68d2f26fddbbf9fe42691798b0f277",
      "d9e854609b5fd691cc5ff0948a619290", "9dd3449798ce90dd1401e3015c094e64",
      "4769b5791d1003b0903c56c35be99e06", "0621fa9baf2ff8c60f49e8b4b4793197",
      "e770e91419644dbdef4ed352dc499d1e", "b01845ebc1e4df7c55a9a2cbf08f22c7",
      "5fcf6f12a39e0ca6a549c05a65d5d43b", "ed93e0c56ea3a76400d1cc1cf7c58d63",
  };
  for (size_t n = 0; n < std::size(expected); ++n) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = uint8_t(i * 37 + 200);
    EXPECT_EQ(hash_hex(b), expected[n]) << "length " << n;
  }
}

TEST(Murmur3, StringVectorsAndWordOrder) {
  EXPECT_EQ(hash_hex(as_bytes("hello")), "cbd8a7b341bd9b025b1e906a48ae1d19");
  EXPECT_EQ(hash_hex(as_bytes("hello world")), "533f6046eb7f610eab97467d60eb63b1");
  // The reference C implementation prints this one as 6c1b07bc7bbc4be347939ac4a93c437a (h1, h2
  // little-endian); js prints each word big-endian.
  auto h = murmur3_x64_128(as_bytes("The quick brown fox jumps over the lazy dog"));
  EXPECT_EQ(h.h1, 0xe34bbc7bbc071b6cull);
  EXPECT_EQ(h.h2, 0x7a433ca9c49a9347ull);
  EXPECT_NE(murmur3_x64_128(as_bytes("a"), 1).h1, murmur3_x64_128(as_bytes("a"), 0).h1);
}

}  // namespace
}  // namespace agora
