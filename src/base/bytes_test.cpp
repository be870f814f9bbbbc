#include "base/bytes.h"

#include <gtest/gtest.h>

namespace agora {

TEST(Hex, RoundTrip) {
  Bytes b{0x00, 0x7f, 0xff, 0x10};
  EXPECT_EQ(to_hex(b), "007fff10");
  auto back = from_hex("007FFF10");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, b);
}

TEST(Hex, RejectsBadInput) {
  EXPECT_FALSE(from_hex("abc").ok());
  EXPECT_FALSE(from_hex("zz").ok());
}

TEST(Result, PropagatesErrors) {
  auto inner = []() -> Result<int> { return make_error(Errc::truncated, "short"); };
  auto outer = [&]() -> Result<int> {
    AGORA_ASSIGN(int v, inner());
    return v + 1;
  };
  auto r = outer();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::truncated);
  EXPECT_EQ(r.error().to_string(), "truncated: short");
}

}  // namespace agora
