#include "codec/lp_frame.h"

#include <gtest/gtest.h>

#include "codec/varint.h"

namespace agora {
namespace {

TEST(LpFrame, EncodePrefixesLength) {
  EXPECT_EQ(to_hex(lp_encode(as_bytes("abc"))), "03616263");
  EXPECT_EQ(to_hex(lp_encode({})), "00");
  Bytes big(300, 7);
  Bytes framed = lp_encode(big);
  EXPECT_EQ(to_hex(BytesView(framed).first(2)), "ac02");
  EXPECT_EQ(framed.size(), 302u);
  Bytes out = {0xee};
  put_lp(out, as_bytes("x"));
  EXPECT_EQ(to_hex(out), "ee0178");
}

TEST(LpFrame, ReassemblesByteByByte) {
  Bytes stream;
  put_lp(stream, as_bytes("hello"));
  put_lp(stream, {});
  Bytes big(200, 0x5a);
  put_lp(stream, big);
  LpReader reader(1024);
  std::vector<Bytes> frames;
  for (uint8_t b : stream) {
    reader.feed(BytesView(&b, 1));
    for (;;) {
      auto f = reader.next();
      ASSERT_TRUE(f.ok());
      if (!f->has_value()) break;
      frames.push_back(**f);
    }
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0], to_bytes("hello"));
  EXPECT_TRUE(frames[1].empty());
  EXPECT_EQ(frames[2], big);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(LpFrame, OversizeReportedFromPrefixAlone) {
  LpReader reader(100);
  Bytes prefix;
  put_uvarint(prefix, 101);
  reader.feed(prefix);  // no body yet
  auto f = reader.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::too_large);
}

TEST(LpFrame, ExactlyMaxIsAccepted) {
  LpReader reader(4);
  reader.feed(lp_encode(as_bytes("abcd")));
  auto f = reader.next();
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ(**f, to_bytes("abcd"));
}

TEST(LpFrame, BadPrefixIsInvalid) {
  LpReader reader(100);
  reader.feed(from_hex("8100").value());
  auto f = reader.next();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, Errc::invalid_input);
}

TEST(LpFrame, TakeRestReturnsUnframedTail) {
  LpReader reader(100);
  Bytes stream = lp_encode(as_bytes("one"));
  append(stream, as_bytes("/yamux/1.0.0\n"));
  reader.feed(stream);
  auto f = reader.next();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ(**f, to_bytes("one"));
  EXPECT_EQ(reader.buffered(), 13u);
  EXPECT_EQ(reader.take_rest(), to_bytes("/yamux/1.0.0\n"));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(LpFrame, ManyFramesKeepBufferBounded) {
  LpReader reader(1 << 16);
  Bytes frame(1000, 1);
  Bytes encoded = lp_encode(frame);
  for (int i = 0; i < 100; ++i) {
    reader.feed(encoded);
    reader.feed(BytesView(encoded).first(10));  // leave a partial frame pending
    auto f = reader.next();
    ASSERT_TRUE(f.ok() && f->has_value());
    EXPECT_EQ(**f, frame);
    reader.feed(BytesView(encoded).subspan(10));
    f = reader.next();
    ASSERT_TRUE(f.ok() && f->has_value());
  }
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(LpFrame, ViewsStayIntactUntilTheNextCall) {
  // Frames of varied sizes (some past the 4 KiB compaction point) fed in odd-sized chunks: every
  // view must show its own frame's bytes while the caller holds it.
  LpReader reader(1 << 20);
  std::vector<Bytes> frames;
  Bytes stream;
  for (int i = 0; i < 60; ++i) {
    Bytes f(size_t(i * 997 % 20000), uint8_t(i));
    put_lp(stream, f);
    frames.push_back(std::move(f));
  }
  size_t next = 0;
  for (size_t at = 0; at < stream.size(); at += 3001) {
    reader.feed(BytesView(stream).subspan(at, std::min<size_t>(3001, stream.size() - at)));
    for (;;) {
      auto view = reader.next_view();
      ASSERT_TRUE(view.ok());
      if (!*view) break;
      ASSERT_LT(next, frames.size());
      EXPECT_TRUE(
          std::equal((*view)->begin(), (*view)->end(), frames[next].begin(), frames[next].end()))
          << "frame " << next;
      ++next;
    }
  }
  EXPECT_EQ(next, frames.size());
  EXPECT_EQ(reader.buffered(), 0u);
}

}  // namespace
}  // namespace agora
