#include "proto/xfer/frame.h"

#include <gtest/gtest.h>

#include "codec/varint.h"

namespace agora::xfer {
namespace {

using Side = FrameReader::Side;

// Feeds `wire` to a reader in pieces of `step` bytes; returns every frame or the first error.
Result<std::vector<Frame>> read_all(Side side, BytesView wire, size_t step,
                                    XferLimits limits = {}) {
  FrameReader reader(side, limits);
  std::vector<Frame> out;
  for (size_t pos = 0; pos < wire.size(); pos += step) {
    BytesView piece = wire.subspan(pos, std::min(step, wire.size() - pos));
    while (!piece.empty()) {
      AGORA_ASSIGN(std::optional<Frame> f, reader.next(piece));
      if (f) out.push_back(std::move(*f));
    }
  }
  return out;
}

TEST(XferFrame, ServerFramesRoundTripInAnyPieces) {
  Cid root = Cid::of(as_bytes("root"));
  Bytes wire = encode_open(root);
  std::vector<LeafRange> ranges{{0, 3}, {10, 1}, {1000000, 7}};
  append(wire, encode_ranges(FrameType::want, ranges));
  append(wire, encode_ranges(FrameType::cancel, std::vector<LeafRange>{{4, 2}}));
  for (size_t step : {size_t(1), size_t(3), wire.size()}) {
    auto frames = read_all(Side::server, wire, step);
    ASSERT_TRUE(frames) << frames.error().message;
    ASSERT_EQ(frames->size(), 3u);
    EXPECT_EQ(*decode_open((*frames)[0].body), root);
    EXPECT_EQ(*decode_ranges((*frames)[1].body, {}), ranges);
    EXPECT_EQ((*frames)[2].type, FrameType::cancel);
  }
}

TEST(XferFrame, OpenOver110CarriesAnOptionalTraceContext) {
  Cid root = Cid::of(as_bytes("root"));
  TraceContext context{*id_from_hex<16>("4bf92f3577b34da6a3ce929d0e0e4736"),
                       *id_from_hex<8>("00f067aa0ba902b7")};
  auto body = [](const Bytes& frame) {  // a one-byte type and a one-byte length
    return BytesView(frame).subspan(2);
  };
  Bytes traced = encode_open(root, context);
  auto open = decode_open_traced(body(traced));
  ASSERT_TRUE(open) << open.error().message;
  EXPECT_EQ(open->root, root);
  EXPECT_EQ(open->trace, context);
  auto plain = decode_open_traced(body(encode_open(root)));
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->trace);
  // 1.0.0's decoder refuses the context: only 1.1.0 streams carry it.
  EXPECT_FALSE(decode_open(body(traced)));
  // Anything else after the CID is refused: a short context, another version, zero ids.
  Bytes short_context(body(traced).begin(), body(traced).end() - 1);
  EXPECT_FALSE(decode_open_traced(short_context));
  Bytes v1(body(traced).begin(), body(traced).end());
  v1[root.bytes().size()] = 1;
  EXPECT_FALSE(decode_open_traced(v1));
  Bytes zero_span(body(traced).begin(), body(traced).end());
  std::fill(zero_span.end() - 8, zero_span.end(), 0);
  EXPECT_FALSE(decode_open_traced(zero_span));
}

TEST(XferFrame, DownloaderFramesCarryBlocksWithoutTheirHeaders) {
  Bytes block(70000);
  for (size_t i = 0; i < block.size(); ++i) block[i] = uint8_t(i * 7);
  Bytes wire = encode_node_header(5);
  append(wire, as_bytes("node!"));
  append(wire, encode_skeleton_end({1, 2, 3}));
  append(wire, encode_have({8, {0xff, 0x01}}));
  append(wire, encode_have_all());
  append(wire, encode_leaf_header(300, block.size()));
  append(wire, block);
  append(wire, encode_ranges(FrameType::missing, std::vector<LeafRange>{{5, 5}}));
  append(wire, encode_error({ErrorCode::busy, "too many streams"}));
  for (size_t step : {size_t(1), size_t(4096), wire.size()}) {
    auto frames = read_all(Side::downloader, wire, step);
    ASSERT_TRUE(frames) << frames.error().message;
    ASSERT_EQ(frames->size(), 7u);
    EXPECT_EQ(as_chars((*frames)[0].body), "node!");
    EXPECT_EQ(*decode_skeleton_end((*frames)[1].body), (SkeletonEnd{1, 2, 3}));
    auto have = decode_have((*frames)[2].body);
    ASSERT_TRUE(have);
    EXPECT_EQ(have->first, 8u);
    EXPECT_EQ(have->bits, (Bytes{0xff, 0x01}));
    EXPECT_EQ((*frames)[3].type, FrameType::have_all);
    EXPECT_EQ((*frames)[4].index, 300u);
    EXPECT_EQ((*frames)[4].body, block);
    auto error = decode_error((*frames)[6].body, {});
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code, ErrorCode::busy);
    EXPECT_EQ(error->message, "too many streams");
  }
}

TEST(XferFrame, FramesSentTheWrongWayAreRefused) {
  Bytes leaf = encode_leaf_header(0, 1);
  leaf.push_back(0);
  EXPECT_EQ(read_all(Side::server, leaf, 1).error().code, Errc::protocol);
  Bytes want = encode_ranges(FrameType::want, std::vector<LeafRange>{{0, 1}});
  EXPECT_EQ(read_all(Side::downloader, want, 1).error().code, Errc::protocol);
}

TEST(XferFrame, OversizedBodiesAreRefusedBeforeBuffering) {
  XferLimits limits;
  limits.block_bytes_max = 1000;
  limits.control_body_bytes_max = 100;
  Bytes leaf = encode_leaf_header(1, 1001);  // no body follows: the header alone is refused
  EXPECT_EQ(read_all(Side::downloader, leaf, 1, limits).error().code, Errc::protocol);
  Bytes want;
  put_uvarint(want, 2);
  put_uvarint(want, 101);
  EXPECT_EQ(read_all(Side::server, want, 1, limits).error().code, Errc::protocol);
  Bytes huge;
  put_uvarint(huge, 20);
  put_uvarint(huge, uint64_t(1) << 62);
  EXPECT_FALSE(read_all(Side::downloader, huge, 1, limits));
}

TEST(XferFrame, UnknownTypesAndBadVarintsAreRefused) {
  EXPECT_EQ(read_all(Side::server, Bytes{0x07, 0x00}, 1).error().code, Errc::protocol);
  EXPECT_EQ(read_all(Side::server, Bytes{0x81, 0x00}, 1).error().code,
            Errc::protocol);      // non-minimal
  Bytes leaf_short{20, 1, 0x80};  // LEAF of 1 byte whose index needs more
  EXPECT_EQ(read_all(Side::downloader, leaf_short, 1).error().code, Errc::protocol);
}

TEST(XferFrame, RangeBodiesAreChecked) {
  XferLimits limits;
  limits.ranges_per_frame_max = 2;
  Bytes body;
  for (int i = 0; i < 3; ++i) {
    put_uvarint(body, i * 10);
    put_uvarint(body, 1);
  }
  EXPECT_EQ(decode_ranges(body, limits).error().code, Errc::too_large);
  Bytes zero_count{1, 0};
  EXPECT_FALSE(decode_ranges(zero_count, {}));
  Bytes past_max;
  put_uvarint(past_max, XferLimits{}.leaves_max);
  put_uvarint(past_max, 1);
  EXPECT_FALSE(decode_ranges(past_max, {}));
  EXPECT_FALSE(decode_ranges({}, {}));
  EXPECT_FALSE(decode_skeleton_end(Bytes{1, 2}));
  EXPECT_FALSE(decode_error(Bytes{9}, {}));
}

}  // namespace
}  // namespace agora::xfer
