#include "base/text.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

TEST(CleanText, AcceptsUtf8AndRefusesControlsAndMalformedBytes) {
  EXPECT_TRUE(is_clean_text(""));
  EXPECT_TRUE(is_clean_text("agora/0.1.0 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  for (const char* bad : {"\x1b[31m", "a\nb", "\x7f", "\xc2\x85",  // controls (C1 NEL)
                          "\xff", "\xc3", "\xe2\x82", "\xc0\x80",  // bad, cut, overlong
                          "\xed\xa0\x80", "\xf4\x90\x80\x80"})     // surrogate, past U+10FFFF
    EXPECT_FALSE(is_clean_text(bad)) << bad;
}

TEST(CleanText, MakeCleanReplacesEachBadByte) {
  std::string s = "ok caf\xc3\xa9 \xff\xfe \x1b[1m cut \xe2\x82";
  make_clean_text(s);
  EXPECT_EQ(s, "ok caf\xc3\xa9 ?? ?[1m cut ??");
  EXPECT_TRUE(is_clean_text(s));
}

}  // namespace
}  // namespace agora
