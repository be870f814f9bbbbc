#include "crypto/xsalsa20.h"

#include <gtest/gtest.h>

#include "crypto/sha256.h"
#include "crypto/shake128.h"

namespace agora::crypto {
namespace {

template <size_t N>
std::array<uint8_t, N> arr(std::string_view h) {
  Bytes b = from_hex(h).value();
  std::array<uint8_t, N> out{};
  EXPECT_EQ(b.size(), N);
  std::copy_n(b.begin(), std::min(N, b.size()), out.begin());
  return out;
}

// NaCl's XSalsa20 test key and nonce (tests/stream.c and stream3.c of NaCl 20110221).
const XSalsa20Key kNaclKey =
    arr<32>("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
const XSalsa20Nonce kNaclNonce = arr<24>("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");

TEST(XSalsa20, NaclFirstBytes) {
  Bytes stream(32, 0);
  XSalsa20Stream(kNaclKey, kNaclNonce).apply(stream);
  EXPECT_EQ(to_hex(stream), "eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880");
}

// 4 MiB of keystream hashed, as NaCl's stream test prints it: here taken in odd-sized pieces, so
// every partial-block path (start inside a block, whole blocks, end inside a block) is crossed.
TEST(XSalsa20, NaclFourMebibytesInOddChunksEqualsOneShot) {
  const size_t total = 4194304;
  Bytes chunked(total, 0);
  XSalsa20Stream s(kNaclKey, kNaclNonce);
  const size_t sizes[] = {1, 63, 64, 65, 7, 128, 1000, 3, 4096, 129, 0, 31, 33};
  size_t pos = 0;
  for (size_t i = 0; pos < total; ++i) {
    size_t n = std::min(sizes[i % std::size(sizes)] + (i % 5), total - pos);
    s.apply(chunked.data() + pos, n);
    pos += n;
  }
  EXPECT_EQ(s.position(), total);
  EXPECT_EQ(to_hex(sha256(chunked)),
            "662b9d0e3463029156069b12f918691a98f7dfb2ca0393c96bbfc6b1fbd630a2");
  Bytes one_shot(total, 0);
  xsalsa20_xor(one_shot.data(), one_shot.size(), kNaclKey, kNaclNonce);
  EXPECT_EQ(chunked, one_shot);
}

TEST(XSalsa20, XorTwiceRestoresTheData) {
  Bytes data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7);
  Bytes original = data;
  XSalsa20Stream enc(kNaclKey, kNaclNonce);
  XSalsa20Stream dec(kNaclKey, kNaclNonce);
  enc.apply(data.data(), 333);
  enc.apply(data.data() + 333, 667);
  EXPECT_NE(data, original);
  dec.apply(data.data(), 999);
  dec.apply(data.data() + 999, 1);
  EXPECT_EQ(data, original);
}

// FIPS 202 / NIST example values for SHAKE128.
TEST(Shake128, KnownAnswers) {
  EXPECT_EQ(to_hex(shake128({}, 32)),
            "7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
  std::string_view fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(to_hex(shake128(as_bytes(fox), 32)),
            "f4202e3c5852f9182a0430fd8144f0a74b95e7417ecae17db0f8cfeed0e3e66e");
}

}  // namespace
}  // namespace agora::crypto
