// frame_message and MessageReader: the bounds every behaviour's messages pass through.
#include "host/behaviour.h"

#include <gtest/gtest.h>

namespace agora::host {
namespace {

const Framing lp{.kind = Framing::Kind::length_prefixed, .message_bytes_max = 10};
const Framing fixed{.kind = Framing::Kind::fixed_size, .message_bytes_max = 4};

TEST(FrameMessage, LengthPrefixedUpToTheLimit) {
  auto framed = frame_message(lp, Bytes(10, 7));
  ASSERT_TRUE(framed.ok());
  EXPECT_EQ(framed->size(), 11u);
  EXPECT_EQ((*framed)[0], 10);
  auto over = frame_message(lp, Bytes(11, 7));
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::too_large);
}

TEST(FrameMessage, FixedSizeMessagesMustBeExactlyThatSize) {
  EXPECT_EQ(frame_message(fixed, Bytes(4, 1)).value(), Bytes(4, 1));
  EXPECT_EQ(frame_message(fixed, Bytes(3, 1)).error().code, Errc::invalid_input);
  EXPECT_EQ(frame_message(fixed, Bytes(5, 1)).error().code, Errc::invalid_input);
}

TEST(MessageReader, ReassemblesMessagesFedAByteAtATime) {
  Bytes wire;
  for (uint8_t i = 0; i < 3; ++i) append(wire, frame_message(lp, Bytes(i + 1, i)).value());
  MessageReader reader(lp);
  std::vector<Bytes> got;
  for (uint8_t b : wire) {
    reader.feed({&b, 1});
    while (auto m = reader.next().value()) got.push_back(*m);
  }
  ASSERT_EQ(got.size(), 3u);
  for (uint8_t i = 0; i < 3; ++i) EXPECT_EQ(got[i], Bytes(i + 1, i));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(MessageReader, AFrameOverTheLimitFailsAtItsPrefixBeforeItsBody) {
  MessageReader reader(lp);
  uint8_t prefix[] = {0xff, 0xff, 0x03};  // claims ~64 KiB; no body follows
  reader.feed(prefix);
  auto m = reader.next();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, Errc::too_large);
}

TEST(MessageReader, FixedSizeMessagesAcrossChunkBoundaries) {
  MessageReader reader(fixed);
  Bytes wire = {1, 1, 1, 1, 2, 2, 2, 2, 3};
  reader.feed(BytesView(wire).subspan(0, 3));
  EXPECT_FALSE(reader.next().value().has_value());
  reader.feed(BytesView(wire).subspan(3));
  EXPECT_EQ(reader.next().value(), Bytes(4, 1));
  EXPECT_EQ(reader.next().value(), Bytes(4, 2));
  EXPECT_FALSE(reader.next().value().has_value());
  EXPECT_EQ(reader.buffered(), 1u);  // a message begun: at EOF the runtime calls it truncated
}

}  // namespace
}  // namespace agora::host
