#include "proto/bitswap/message.h"

#include <gtest/gtest.h>

#include "codec/lp_frame.h"
#include "codec/protobuf.h"

namespace agora::bitswap {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }
Cid raw_cid(std::string_view data) { return Cid::of(as_bytes(data)); }
Block raw_block(std::string_view data) { return Block{raw_cid(data), to_bytes(data)}; }

Message full_message() {
  Message m;
  m.wantlist.push_back({raw_cid("a"), 7, false, WantType::have, true});
  m.wantlist.push_back({raw_cid("b"), -3, true, WantType::block, false});
  m.full_wantlist = true;
  m.blocks.push_back(raw_block("hello"));
  m.blocks.push_back(Block{Cid::of(as_bytes("pb"), kCodecDagPb, 0), to_bytes("pb")});
  m.presences.push_back({raw_cid("c"), PresenceType::have});
  m.presences.push_back({raw_cid("d"), PresenceType::dont_have});
  m.pending_bytes = 12345;
  return m;
}

void expect_error(const Result<Message>& r, Errc code, std::string_view text) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code) << r.error().to_string();
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().to_string();
}

TEST(BitswapMessage, RoundTripsAllFields) {
  Message m = full_message();
  auto decoded = decode_message(encode_message(m));
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, m);
}

TEST(BitswapMessage, PayloadBlockLayoutMatchesHelia) {
  Message m;
  m.blocks.push_back(raw_block("hello"));
  // payload(3) { prefix(1) = 01 55 12 20 (CIDv1 raw sha2-256/32), data(2) = "hello" }
  EXPECT_EQ(to_hex(encode_message(m)),
            "1a0d"
            "0a0401551220"
            "120568656c6c6f");
}

TEST(BitswapMessage, CidV0PayloadPrefix) {
  Message m;
  m.blocks.push_back(Block{Cid::of(as_bytes("x"), kCodecDagPb, 0), to_bytes("x")});
  EXPECT_EQ(to_hex(encode_message(m)),
            "1a09"
            "0a0400701220"
            "120178");
  auto decoded = decode_message(encode_message(m));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->blocks[0].cid.version(), 0);
  EXPECT_TRUE(decoded->blocks[0].cid.to_string().starts_with("Qm"));
}

TEST(BitswapMessage, WantlistEntryLayout) {
  Cid cid = raw_cid("a");
  Message m;
  m.wantlist.push_back({cid, 1, false, WantType::have, true});
  // wantlist(1) { entries(1) { block(1)=cid, priority(2)=1, wantType(4)=Have, sendDontHave(5) } }
  EXPECT_EQ(to_hex(encode_message(m)), "0a2e0a2c0a24" + to_hex(cid.bytes()) + "100120012801");
  m.wantlist[0] = {cid, 1, true, WantType::block, false};
  EXPECT_EQ(to_hex(encode_message(m)), "0a2c0a2a0a24" + to_hex(cid.bytes()) + "10011801");
}

TEST(BitswapMessage, PresenceAndPendingBytesLayout) {
  Cid cid = raw_cid("c");
  Message m;
  m.presences.push_back({cid, PresenceType::have});  // Have = 0 is the default: no type field
  m.presences.push_back({cid, PresenceType::dont_have});
  m.pending_bytes = 300;
  EXPECT_EQ(to_hex(encode_message(m)), "22260a24" + to_hex(cid.bytes()) + "22280a24" +
                                           to_hex(cid.bytes()) + "1001" + "28ac02");
}

TEST(BitswapMessage, NegativeInt32sAreSignExtended) {
  Message m;
  m.pending_bytes = -1;
  EXPECT_EQ(to_hex(encode_message(m)), "28ffffffffffffffffff01");
  auto decoded = decode_message(encode_message(m));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->pending_bytes, -1);
}

TEST(BitswapMessage, AcceptsBitswap100Blocks) {
  pb::Writer w;
  w.bytes(2, as_bytes("legacy block"));
  auto decoded = decode_message(w.data());
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  ASSERT_EQ(decoded->blocks.size(), 1u);
  EXPECT_EQ(decoded->blocks[0].cid, Cid::of(as_bytes("legacy block"), kCodecDagPb, 0));
  EXPECT_EQ(decoded->blocks[0].data, to_bytes("legacy block"));
}

TEST(BitswapMessage, BlockCidIsComputedFromData) {
  Bytes encoded = encode_message(Message{{}, false, {raw_block("hello")}, {}, 0});
  encoded.back() ^= 1;  // "helln": the sender's CID no longer describes the data
  auto decoded = decode_message(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_NE(decoded->blocks[0].cid, raw_cid("hello"));
  EXPECT_EQ(decoded->blocks[0].cid, raw_cid("helln"));
}

TEST(BitswapMessage, SkipsUnknownFields) {
  Bytes encoded = encode_message(full_message());
  pb::Writer extra;
  extra.varint(15, 99);
  extra.bytes(16, as_bytes("future"));
  append(encoded, extra.data());
  auto decoded = decode_message(encoded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, full_message());
}

TEST(BitswapMessage, RejectsOversizedMessage) {
  MessageLimits limits;
  Bytes big(limits.message_bytes_max + 1, 0);
  expect_error(decode_message(big, limits), Errc::too_large,
               "message of 4194305 bytes over 4194304");
}

TEST(BitswapMessage, RejectsTooManyWantlistEntries) {
  Message m;
  for (int i = 0; i < 1025; ++i)
    m.wantlist.push_back({raw_cid(std::to_string(i)), 1, false, WantType::have, false});
  expect_error(decode_message(encode_message(m)), Errc::too_large,
               "wantlist entry count over 1024");
  m.wantlist.pop_back();
  EXPECT_TRUE(decode_message(encode_message(m)).ok());
}

TEST(BitswapMessage, RejectsOversizedBlock) {
  MessageLimits limits;
  limits.block_bytes_max = 10;
  Message m;
  m.blocks.push_back(raw_block("0123456789"));
  EXPECT_TRUE(decode_message(encode_message(m), limits).ok());
  m.blocks.push_back(raw_block("0123456789a"));
  expect_error(decode_message(encode_message(m), limits), Errc::too_large,
               "payload block 1: data of 11 bytes over 10");
  pb::Writer legacy;
  legacy.bytes(2, as_bytes("0123456789a"));
  expect_error(decode_message(legacy.data(), limits), Errc::too_large,
               "1.0.0 block 0 of 11 bytes over 10");
}

TEST(BitswapMessage, RejectsTooManyBlocksAndPresences) {
  MessageLimits limits;
  limits.blocks_max = 2;
  limits.presences_max = 2;
  Message m;
  for (int i = 0; i < 3; ++i) m.blocks.push_back(raw_block(std::to_string(i)));
  expect_error(decode_message(encode_message(m), limits), Errc::too_large, "block count over 2");
  m.blocks.clear();
  for (int i = 0; i < 3; ++i) m.presences.push_back({raw_cid(std::to_string(i))});
  expect_error(decode_message(encode_message(m), limits), Errc::too_large,
               "block presence count over 2");
}

TEST(BitswapMessage, RejectsEveryTruncation) {
  Bytes encoded = encode_message(full_message());
  // Cutting inside any field leaves a length past the end, or a nested message cut short.
  for (size_t n = 1; n < encoded.size(); ++n) {
    auto r = decode_message(BytesView(encoded).first(n));
    if (r.ok()) {
      // A cut exactly between top-level fields is a valid shorter message.
      EXPECT_LE(r->blocks.size() + r->presences.size(), 4u);
      continue;
    }
    EXPECT_TRUE(r.error().code == Errc::invalid_input) << n << ": " << r.error().to_string();
  }
  auto cut = decode_message(BytesView(encoded).first(5));
  expect_error(cut, Errc::invalid_input, "malformed message");
}

TEST(BitswapMessage, RejectsMalformedFields) {
  Cid cid = raw_cid("a");
  auto entry_message = [](const pb::Writer& entry) {
    pb::Writer wl, m;
    wl.bytes(1, entry.data());
    m.bytes(1, wl.data());
    return m.take();
  };
  pb::Writer no_cid;
  no_cid.varint(2, 1);
  expect_error(decode_message(entry_message(no_cid)), Errc::invalid_input,
               "wantlist entry 0: no cid");
  pb::Writer bad_cid;
  bad_cid.bytes(1, as_bytes("not a cid"));
  expect_error(decode_message(entry_message(bad_cid)), Errc::invalid_input, "wantlist entry 0");
  pb::Writer bad_type;
  bad_type.bytes(1, cid.bytes());
  bad_type.varint(4, 2);
  expect_error(decode_message(entry_message(bad_type)), Errc::invalid_input, "unknown wantType 2");
  pb::Writer wrong_wire;
  wrong_wire.varint(1, 5);
  expect_error(decode_message(entry_message(wrong_wire)), Errc::invalid_input,
               "wantlist entry cid has the wrong wire type");

  pb::Writer block, bad_prefix;
  block.bytes(1, hex("01551299"));  // sha2-256 with a 0x99-byte digest
  block.bytes(2, as_bytes("x"));
  bad_prefix.bytes(3, block.data());
  expect_error(decode_message(bad_prefix.data()), Errc::invalid_input, "payload block 0");
  pb::Writer no_prefix_block, no_prefix;
  no_prefix_block.bytes(2, as_bytes("x"));
  no_prefix.bytes(3, no_prefix_block.data());
  expect_error(decode_message(no_prefix.data()), Errc::invalid_input, "payload block 0: no prefix");

  pb::Writer presence, bad_presence;
  presence.bytes(1, cid.bytes());
  presence.varint(2, 7);
  bad_presence.bytes(4, presence.data());
  expect_error(decode_message(bad_presence.data()), Errc::invalid_input,
               "block presence 0: unknown type 7");
  pb::Writer wantlist_varint;
  wantlist_varint.varint(1, 1);
  expect_error(decode_message(wantlist_varint.data()), Errc::invalid_input,
               "wantlist has the wrong wire type");
}

TEST(BitswapMessage, SplitKeepsEveryPartUnderTheLimits) {
  Message m;
  Bytes chunk(1024 * 1024, 0);
  for (int i = 0; i < 10; ++i) {
    chunk[0] = uint8_t(i);
    m.blocks.push_back(Block{Cid::of(chunk), chunk});
  }
  for (int i = 0; i < 3000; ++i) {
    m.presences.push_back({raw_cid("p" + std::to_string(i)), PresenceType::dont_have});
    m.wantlist.push_back({raw_cid("w" + std::to_string(i)), 1, false, WantType::have, true});
  }
  m.full_wantlist = true;
  m.pending_bytes = 5;
  MessageLimits limits;
  limits.presences_max = 1000;
  auto parts = split_message(m, limits);
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  EXPECT_GE(parts->size(), 4u);
  Message joined;
  for (size_t i = 0; i < parts->size(); ++i) {
    const Message& part = (*parts)[i];
    Bytes encoded = encode_message(part);
    EXPECT_LE(encoded.size(), limits.message_bytes_max);
    auto decoded = decode_message(encoded, limits);
    ASSERT_TRUE(decoded.ok()) << i << ": " << decoded.error().to_string();
    EXPECT_EQ(*decoded, part);
    EXPECT_EQ(part.full_wantlist, i == 0);
    EXPECT_EQ(part.pending_bytes, 5);
    joined.blocks.insert(joined.blocks.end(), part.blocks.begin(), part.blocks.end());
    joined.presences.insert(joined.presences.end(), part.presences.begin(), part.presences.end());
    joined.wantlist.insert(joined.wantlist.end(), part.wantlist.begin(), part.wantlist.end());
  }
  EXPECT_EQ(joined.blocks, m.blocks);
  EXPECT_EQ(joined.presences, m.presences);
  EXPECT_EQ(joined.wantlist, m.wantlist);
}

TEST(BitswapMessage, EncodedSizesAreExact) {
  Message m = full_message();
  size_t sum = 0;
  for (const Block& b : m.blocks) sum += encoded_block_bytes(b);
  for (const Presence& p : m.presences) sum += encoded_presence_bytes(p);
  Message no_wants = m;
  no_wants.wantlist.clear();
  no_wants.full_wantlist = false;
  no_wants.pending_bytes = 0;
  EXPECT_EQ(encode_message(no_wants).size(), sum);
  size_t entries = 0;
  for (const WantEntry& e : m.wantlist) entries += encoded_entry_bytes(e);
  Message wants_only{m.wantlist, false, {}, {}, 0};
  EXPECT_EQ(encode_message(wants_only).size(), 2 + entries);  // wantlist tag and length
}

TEST(BitswapMessage, FrameIsTheLengthPrefixedMessageInOneExactBuffer) {
  Message big;
  big.blocks.push_back(raw_block(std::string(1 << 20, 'x')));
  big.presences.push_back({raw_cid("e"), PresenceType::have});
  big.pending_bytes = -1;  // a ten-byte varint
  Message wants_only = full_message();
  wants_only.blocks.clear();
  wants_only.presences.clear();
  for (const Message& m : {full_message(), big, wants_only, Message{}}) {
    Bytes frame = encode_message_frame(m);
    EXPECT_EQ(frame, lp_encode(encode_message(m)));
    EXPECT_EQ(frame.capacity(), frame.size());  // sized up front: no regrowth copies
  }
}

TEST(BitswapMessage, SplitRefusesAnItemThatCannotFit) {
  MessageLimits limits;
  limits.message_bytes_max = 100;
  Message m;
  m.blocks.push_back(Block{Cid::of(Bytes(200, 1)), Bytes(200, 1)});
  auto parts = split_message(m, limits);
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.error().code, Errc::too_large);
  limits.message_bytes_max = 4096;
  limits.block_bytes_max = 100;
  parts = split_message(m, limits);
  ASSERT_FALSE(parts.ok());
  EXPECT_NE(parts.error().message.find("block of 200 bytes over 100"), std::string::npos);
}

}  // namespace
}  // namespace agora::bitswap
