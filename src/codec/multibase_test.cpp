#include "codec/multibase.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

// Vectors from multiformats/multibase tests/{basic,leading_zero,two_leading_zeros}.csv.
struct Vector {
  std::string_view input;
  Base base;
  std::string_view encoded;
};

const std::string_view kYesMani = "yes mani !";
const std::string kOneZero = std::string(1, '\0') + "yes mani !";
const std::string kTwoZeros = std::string(2, '\0') + "yes mani !";

const Vector kVectors[] = {
    {kYesMani, Base::base16, "f796573206d616e692021"},
    {kYesMani, Base::base32, "bpfsxgidnmfxgsibb"},
    {kYesMani, Base::base32upper, "BPFSXGIDNMFXGSIBB"},
    {kYesMani, Base::base36, "k2lcpzo5yikidynfl"},
    {kYesMani, Base::base58btc, "z7paNL19xttacUY"},
    {kOneZero, Base::base16, "f00796573206d616e692021"},
    {kOneZero, Base::base32, "bab4wk4zanvqw42jaee"},
    {kOneZero, Base::base32upper, "BAB4WK4ZANVQW42JAEE"},
    {kOneZero, Base::base36, "k02lcpzo5yikidynfl"},
    {kOneZero, Base::base58btc, "z17paNL19xttacUY"},
    {kTwoZeros, Base::base16, "f0000796573206d616e692021"},
    {kTwoZeros, Base::base32, "baaahszltebwwc3tjeaqq"},
    {kTwoZeros, Base::base32upper, "BAAAHSZLTEBWWC3TJEAQQ"},
    {kTwoZeros, Base::base36, "k002lcpzo5yikidynfl"},
    {kTwoZeros, Base::base58btc, "z117paNL19xttacUY"},
};

TEST(Multibase, SpecVectorsBothWays) {
  for (const auto& v : kVectors) {
    EXPECT_EQ(multibase_encode(v.base, as_bytes(v.input)), v.encoded);
    auto decoded = multibase_decode(v.encoded);
    ASSERT_TRUE(decoded.ok()) << v.encoded << ": " << decoded.error().to_string();
    EXPECT_EQ(as_chars(*decoded), v.input) << v.encoded;
  }
}

TEST(Multibase, UpperCaseVariantsDecode) {
  for (auto text : {"F796573206D616E692021", "K2LCPZO5YIKIDYNFL"}) {
    auto decoded = multibase_decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(as_chars(*decoded), kYesMani);
  }
}

// multiformats/multibase tests/case_insensitivity.csv: mixed case decodes to "hello world".
TEST(Multibase, CaseInsensitiveDecode) {
  for (auto text : {"f68656c6c6f20776F726C64", "F68656c6c6f20776F726C64", "bnbswy3dpeB3W64TMMQ",
                    "Bnbswy3dpeB3W64TMMQ", "kfUvrsIvVnfRbjWaJo", "KfUVrSIVVnFRbJWAJo"}) {
    auto decoded = multibase_decode(text);
    ASSERT_TRUE(decoded.ok()) << text;
    EXPECT_EQ(as_chars(*decoded), "hello world") << text;
  }
}

TEST(Multibase, EmptyAndZeroOnlyInputs) {
  EXPECT_EQ(base58btc_encode({}), "");
  EXPECT_EQ(base32_encode({}), "");
  EXPECT_EQ(base36_encode({}), "");
  Bytes zeros(3, 0);
  EXPECT_EQ(base58btc_encode(zeros), "111");
  EXPECT_EQ(base36_encode(zeros), "000");
  EXPECT_EQ(base58btc_decode("111").value(), zeros);
  EXPECT_EQ(base36_decode("000").value(), zeros);
  EXPECT_TRUE(base58btc_decode("").value().empty());
}

TEST(Multibase, Base32Rfc4648Vectors) {
  // RFC 4648 section 10, lower case and without padding.
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"f", "my"},         {"fo", "mzxq"},        {"foo", "mzxw6"},
      {"foob", "mzxw6yq"}, {"fooba", "mzxw6ytb"}, {"foobar", "mzxw6ytboi"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(as_bytes(plain)), encoded);
    EXPECT_EQ(as_chars(base32_decode(encoded).value()), plain);
  }
}

TEST(Multibase, RejectsJunk) {
  EXPECT_FALSE(multibase_decode("").ok());
  EXPECT_EQ(multibase_decode("mAAAA").error().code, Errc::unsupported);  // base64 not supported
  EXPECT_FALSE(base58btc_decode("0OIl").ok());   // not in the base58 alphabet
  EXPECT_FALSE(base32_decode("mzxw6===").ok());  // padding
  EXPECT_FALSE(base32_decode("m").ok());         // impossible length
  EXPECT_FALSE(base32_decode("mzx").ok());       // impossible length
  EXPECT_FALSE(base32_decode("mzxw6y").ok());    // impossible length
  EXPECT_FALSE(base32_decode("mz").ok());        // non-zero trailing bits ("my" is canonical)
  EXPECT_FALSE(base32_decode("my1").ok());       // '1' is not base32
  EXPECT_FALSE(base36_decode("abc-").ok());
  EXPECT_FALSE(multibase_decode("fabc").ok());  // odd hex length
  EXPECT_FALSE(multibase_decode("fzz").ok());
}

TEST(Multibase, RoundTripsPseudoRandomBytes) {
  uint32_t state = 12345;
  for (size_t len = 0; len < 80; ++len) {
    Bytes data(len);
    for (auto& b : data) {
      state = state * 1103515245 + 12345;
      b = uint8_t(state >> 16);
    }
    if (len % 3 == 0 && len > 0) data[0] = 0;  // exercise leading zeros
    for (Base base :
         {Base::base58btc, Base::base32, Base::base32upper, Base::base36, Base::base16}) {
      std::string text = multibase_encode(base, data);
      auto back = multibase_decode(text);
      ASSERT_TRUE(back.ok()) << text;
      EXPECT_EQ(*back, data) << text;
    }
  }
}

}  // namespace
}  // namespace agora
