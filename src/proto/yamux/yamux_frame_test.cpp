#include "proto/yamux/yamux_frame.h"

#include <gtest/gtest.h>

namespace agora::yamux {
namespace {

TEST(YamuxFrame, EncodesBigEndianHeader) {
  Bytes out;
  put_yamux_header(out, YamuxHeader{YamuxType::window_update, yamux_flag::syn | yamux_flag::ack,
                                    0x01020304, 0x00040000});
  EXPECT_EQ(to_hex(out), "000100030102030400040000");
}

TEST(YamuxFrame, RoundTrips) {
  for (uint8_t type = 0; type <= 3; ++type) {
    YamuxHeader in{static_cast<YamuxType>(type), 0x000f, 0xfffffffe, 0x80000001};
    Bytes out;
    put_yamux_header(out, in);
    ASSERT_EQ(out.size(), kYamuxHeaderBytes);
    Result<YamuxHeader> parsed = parse_yamux_header(out.data());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->type, in.type);
    EXPECT_EQ(parsed->flags, in.flags);
    EXPECT_EQ(parsed->stream, in.stream);
    EXPECT_EQ(parsed->length, in.length);
  }
}

TEST(YamuxFrame, RejectsWrongVersionAndUnknownType) {
  Bytes wrong_version = from_hex("010000000000000100000000").value();
  Result<YamuxHeader> parsed = parse_yamux_header(wrong_version.data());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::protocol);
  Bytes unknown_type = from_hex("000400000000000100000000").value();
  parsed = parse_yamux_header(unknown_type.data());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, Errc::protocol);
}

}  // namespace
}  // namespace agora::yamux
