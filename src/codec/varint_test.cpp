#include "codec/varint.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

TEST(Varint, SpecVectorsEncode) {
  const std::pair<uint64_t, std::string_view> vectors[] = {
      {1, "01"},     {127, "7f"},       {128, "8001"}, {255, "ff01"},
      {300, "ac02"}, {16384, "808001"}, {0, "00"}};
  for (auto [value, expected] : vectors) {
    Bytes out;
    put_uvarint(out, value);
    EXPECT_EQ(to_hex(out), expected) << value;
    EXPECT_EQ(uvarint_size(value), out.size()) << value;
    auto back = read_uvarint(out);
    ASSERT_TRUE(back.ok()) << value;
    EXPECT_EQ(back->value, value);
    EXPECT_EQ(back->size, out.size());
  }
}

TEST(Varint, ReadsOnlyTheVarint) {
  Bytes in = hex("ac02ffff");
  auto v = read_uvarint(in);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, 300u);
  EXPECT_EQ(v->size, 2u);
}

TEST(Varint, LargestNineByteValue) {
  uint64_t max = (uint64_t(1) << 63) - 1;
  Bytes out;
  put_uvarint(out, max);
  ASSERT_EQ(out.size(), 9u);
  auto v = read_uvarint(out);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value, max);
}

TEST(Varint, RejectsNonMinimal) {
  for (auto h : {"8100", "ff00", "808000", "8000"}) {
    auto v = read_uvarint(hex(h));
    ASSERT_FALSE(v.ok()) << h;
    EXPECT_EQ(v.error().code, Errc::invalid_input) << h;
  }
}

TEST(Varint, RejectsMoreThanNineBytes) {
  Bytes ten = hex("ffffffffffffffffff01");  // 2^64-1 style, 10 bytes
  auto v = read_uvarint(ten);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, Errc::invalid_input);
  // Nine continuation bytes are invalid even without a tenth byte present.
  auto nine = read_uvarint(hex("808080808080808080"));
  ASSERT_FALSE(nine.ok());
  EXPECT_EQ(nine.error().code, Errc::invalid_input);
}

TEST(Varint, TruncatedIsDistinct) {
  for (auto h : {"", "80", "ff80", "8080808080808080"}) {
    auto v = read_uvarint(hex(h));
    ASSERT_FALSE(v.ok()) << h;
    EXPECT_EQ(v.error().code, Errc::truncated) << h;
  }
}

TEST(Varint, RoundTripsPowersOfTwo) {
  for (int bit = 0; bit < 63; ++bit) {
    for (uint64_t v : {uint64_t(1) << bit, (uint64_t(1) << bit) - 1, (uint64_t(1) << bit) + 1}) {
      Bytes out;
      put_uvarint(out, v);
      auto back = read_uvarint(out);
      ASSERT_TRUE(back.ok()) << v;
      EXPECT_EQ(back->value, v);
      EXPECT_EQ(back->size, uvarint_size(v));
    }
  }
}

}  // namespace
}  // namespace agora
