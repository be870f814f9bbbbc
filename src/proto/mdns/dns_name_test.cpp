#include "proto/mdns/dns_name.h"

#include <gtest/gtest.h>

namespace agora::mdns {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

void expect_error(const Result<Name>& r, Errc code, std::string_view text) {
  ASSERT_FALSE(r.ok()) << r->to_string();
  EXPECT_EQ(r.error().code, code) << r.error().to_string();
  EXPECT_NE(r.error().message.find(text), std::string::npos) << r.error().to_string();
}

TEST(DnsName, ParsesDottedNames) {
  auto n = Name::parse("_p2p._udp.local.");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->labels, (std::vector<std::string>{"_p2p", "_udp", "local"}));
  EXPECT_EQ(n->to_string(), "_p2p._udp.local");
  EXPECT_EQ(n->wire_bytes(), 17u);
  EXPECT_TRUE(Name::parse("")->labels.empty());
  EXPECT_EQ(Name::parse(".")->to_string(), ".");
}

TEST(DnsName, RefusesBadDottedNames) {
  EXPECT_EQ(Name::parse("a..b").error().code, Errc::invalid_input);
  EXPECT_EQ(Name::parse(".a").error().code, Errc::invalid_input);
  EXPECT_EQ(Name::parse(std::string(64, 'x') + ".local").error().code, Errc::too_large);
  EXPECT_TRUE(Name::parse(std::string(63, 'x') + ".local").ok());
  // 4 labels of 63 bytes: 4 * 64 + 1 = 257 wire bytes.
  std::string l(63, 'a');
  EXPECT_EQ(Name::parse(l + "." + l + "." + l + "." + l).error().code, Errc::too_large);
  EXPECT_TRUE(Name::parse(l + "." + l + "." + l + "." + std::string(61, 'a')).ok());  // 255
}

TEST(DnsName, EscapesUnprintableBytesInText) {
  Name n{{std::string("a.b"), std::string("c\\"), std::string("\x01 z", 3)}};
  EXPECT_EQ(n.to_string(), "a\\046b.c\\092.\\001\\032z");
}

TEST(DnsName, ComparesAsciiCaseInsensitively) {
  EXPECT_TRUE(same_name(*Name::parse("_P2P._Udp.LOCAL"), *Name::parse("_p2p._udp.local")));
  EXPECT_FALSE(same_name(*Name::parse("_p2p._udp"), *Name::parse("_p2p._udp.local")));
  EXPECT_FALSE(same_label("\xC4", "\xE4"));  // only ASCII letters fold
  EXPECT_FALSE(*Name::parse("A.local") == *Name::parse("a.local"));
}

TEST(DnsName, ReadsCompressedNames) {
  // "local" at 0, "_udp.<ptr 0>" at 7, "_p2p.<ptr 7>" at 14.
  Bytes msg =
      hex("056c6f63616c00"
          "045f756470c000"
          "045f703270c007");
  size_t off = 14;
  auto n = read_name(msg, off);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(n->to_string(), "_p2p._udp.local");
  EXPECT_EQ(off, 21u);  // past the first pointer only
  off = 0;
  EXPECT_EQ(read_name(msg, off)->to_string(), "local");
  EXPECT_EQ(off, 7u);
}

TEST(DnsName, RefusesLoopsAndForwardPointers) {
  size_t off = 0;
  expect_error(read_name(hex("c000"), off), Errc::invalid_input, "does not point backwards");
  off = 0;
  expect_error(read_name(hex("c00200"), off), Errc::invalid_input, "does not point backwards");
  // Two names pointing at each other: the second jump would go forward again.
  Bytes mutual =
      hex("0161c004"
          "0162c000");
  off = 4;
  expect_error(read_name(mutual, off), Errc::invalid_input, "loop");
  // A pointer into the name's own labels.
  off = 0;
  expect_error(read_name(hex("0161c000"), off), Errc::invalid_input, "loop");
}

TEST(DnsName, BoundsPointerChains) {
  // Pointers each pointing two bytes back, ending in a root at 0: 40 jumps.
  Bytes msg = {0};
  for (size_t i = 0; i < 40; ++i) {
    size_t target = msg.size() - (i == 0 ? 1 : 2);
    msg.push_back(uint8_t(0xC0 | target >> 8));
    msg.push_back(uint8_t(target));
  }
  size_t off = msg.size() - 2;
  EXPECT_TRUE(read_name(msg, off, 40).ok());
  off = msg.size() - 2;
  expect_error(read_name(msg, off, 39), Errc::too_large, "compression jumps");
}

TEST(DnsName, RefusesOversizeAndReservedAndTruncated) {
  size_t off = 0;
  expect_error(read_name(hex("4061"), off), Errc::unsupported, "reserved label type");
  off = 0;
  expect_error(read_name(hex("8061"), off), Errc::unsupported, "reserved label type");
  off = 0;
  expect_error(read_name(hex("03616263"), off), Errc::truncated, "runs past the end");
  off = 0;
  expect_error(read_name(hex("0361"), off), Errc::truncated, "runs past the end");
  off = 0;
  expect_error(read_name(hex("c0"), off), Errc::truncated, "pointer cut off");
  off = 0;
  expect_error(read_name({}, off), Errc::truncated, "runs past the end");
  // 256 bytes once assembled through pointers: each piece is fine, the whole is not.
  Bytes msg;
  std::string l(63, 'a');
  msg.push_back(63);
  msg.insert(msg.end(), l.begin(), l.end());
  msg.push_back(0);  // "aaa..." at 0 (65 bytes)
  for (int i = 0; i < 3; ++i) {
    size_t prev = msg.size() == 65 ? 0 : msg.size() - 66;
    msg.push_back(63);
    msg.insert(msg.end(), l.begin(), l.end());
    msg.push_back(uint8_t(0xC0 | prev >> 8));
    msg.push_back(uint8_t(prev));
  }
  off = msg.size() - 66;
  expect_error(read_name(msg, off), Errc::too_large, "over 255 bytes");
}

TEST(DnsName, WriterCompressesAndRoundTrips) {
  Bytes msg(12, 0);
  NameWriter w;
  Name service = *Name::parse("_p2p._udp.local");
  Name instance = *Name::parse("peer._p2p._udp.local");
  Name other = *Name::parse("x._UDP.local");  // case differs: not shared
  ASSERT_TRUE(w.write(msg, service).ok());
  ASSERT_TRUE(w.write(msg, instance).ok());
  ASSERT_TRUE(w.write(msg, service).ok());
  ASSERT_TRUE(w.write(msg, other).ok());
  EXPECT_EQ(to_hex(BytesView(msg).subspan(12)),
            "045f703270045f756470056c6f63616c00"  // service at 12
            "0470656572c00c"                      // peer + pointer to 12
            "c00c"                                // service again
            "0178045f554450c016");                // x._UDP + pointer to "local" at 22
  size_t off = 12;
  for (const Name* n : {&service, &instance, &service, &other}) {
    auto got = read_name(msg, off);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    EXPECT_EQ(*got, *n);
  }
  EXPECT_EQ(off, msg.size());
}

TEST(DnsName, WriterRefusesInvalidNames) {
  Bytes msg;
  NameWriter w;
  EXPECT_EQ(w.write(msg, Name{{std::string(64, 'a')}}).error().code, Errc::too_large);
  EXPECT_EQ(w.write(msg, Name{{"a", ""}}).error().code, Errc::invalid_input);
}

TEST(DnsName, WriterOnlyPointsWithinFourteenBits) {
  Bytes msg(0x4000, 0);
  NameWriter w;
  Name n = *Name::parse("far.local");
  ASSERT_TRUE(w.write(msg, n).ok());
  ASSERT_TRUE(w.write(msg, n).ok());
  EXPECT_EQ(msg.size(), 0x4000u + 2 * n.wire_bytes());  // nothing to point at
}

}  // namespace
}  // namespace agora::mdns
