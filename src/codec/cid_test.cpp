#include "codec/cid.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

TEST(Cid, RawV1VectorFromNotes) {
  Cid c = Cid::of(as_bytes("hello agora\n"));
  EXPECT_EQ(c.to_string(), "bafkreiecsdrlqm6a62yekcis5verurpra2qddepqmnjy3mpragconygykq");
  EXPECT_EQ(Cid::of(as_bytes("hello world")).to_string(),
            "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  EXPECT_EQ(Cid::of(BytesView{}).to_string(),
            "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
}

TEST(Cid, V0DagPbLeafVectorFromNotes) {
  auto block = from_hex("0a120802120c68656c6c6f2061676f72610a180c");
  ASSERT_TRUE(block.ok());
  Cid c = Cid::of(*block, kCodecDagPb, 0);
  EXPECT_EQ(c.version(), 0);
  EXPECT_EQ(c.to_string(), "QmTmYgUwExnoTVhfk8s174e7vybY5kwj77oigwRaGz6C2i");
  auto parsed = Cid::parse("QmTmYgUwExnoTVhfk8s174e7vybY5kwj77oigwRaGz6C2i");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, c);
  EXPECT_EQ(parsed->to_v1().version(), 1);
  EXPECT_EQ(parsed->to_v1().codec(), kCodecDagPb);
  EXPECT_TRUE(parsed->matches(*block));
  EXPECT_FALSE(parsed->matches(as_bytes("other")));
}

TEST(Cid, ParsesAnyMultibaseAndRoundTrips) {
  Cid c = Cid::of(as_bytes("abc"), kCodecDagPb);
  for (Base b : {Base::base32, Base::base32upper, Base::base58btc, Base::base36, Base::base16}) {
    auto p = Cid::parse(c.to_string(b));
    ASSERT_TRUE(p.ok()) << c.to_string(b) << ": " << p.error().to_string();
    EXPECT_EQ(*p, c);
  }
  auto bin = Cid::from_bytes(c.bytes());
  ASSERT_TRUE(bin.ok());
  EXPECT_EQ(*bin, c);
}

TEST(Cid, RejectsBadInput) {
  EXPECT_FALSE(Cid::parse("").ok());
  EXPECT_FALSE(Cid::parse("hello").ok());
  EXPECT_FALSE(
      Cid::parse("bafkreiecsdrlqm6a62yekcis5verurpra2qddepqmnjy3mpragconygyk").ok());  // truncated
  EXPECT_FALSE(Cid::parse(std::string(600, 'b')).ok());
  Cid c = Cid::of(as_bytes("x"));
  Bytes trailing = c.bytes();
  trailing.push_back(0);
  EXPECT_FALSE(Cid::from_bytes(trailing).ok());
  Bytes v2 = c.bytes();
  v2[0] = 2;
  EXPECT_EQ(Cid::from_bytes(v2).error().code, Errc::unsupported);
  // A CIDv0 must not be written in base32.
  Cid v0 = Cid::of(as_bytes("x"), kCodecDagPb, 0);
  EXPECT_FALSE(Cid::parse(multibase_encode(Base::base32, v0.bytes())).ok());
}

TEST(Cid, PrefixRebuildsTheCid) {
  Bytes data = to_bytes("block data");
  for (Cid c : {Cid::of(data), Cid::of(data, kCodecDagPb, 0), Cid::of(data, kCodecDagPb)}) {
    Bytes prefix = cid_prefix(c);
    auto back = cid_from_prefix(prefix, data);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(*back, c);
  }
  EXPECT_EQ(to_hex(cid_prefix(Cid::of(data))), "01551220");
  EXPECT_EQ(to_hex(cid_prefix(Cid::of(data, kCodecDagPb, 0))), "00701220");
  EXPECT_FALSE(cid_from_prefix(*from_hex("0155122000"), data).ok());  // trailing
  EXPECT_FALSE(cid_from_prefix(*from_hex("01551210"), data).ok());    // wrong sha256 length
  EXPECT_FALSE(cid_from_prefix(*from_hex("00551220"), data).ok());    // v0 must be dag-pb
  EXPECT_FALSE(cid_from_prefix(*from_hex("0155"), data).ok());        // truncated
}

TEST(Cid, ReadPrefixReportsLength) {
  Cid c = Cid::of(as_bytes("x"));
  Bytes buf = c.bytes();
  buf.push_back(0xff);
  size_t consumed = 0;
  auto r = Cid::read_prefix(buf, &consumed);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(consumed, c.bytes().size());
  EXPECT_EQ(Cid::read_prefix(BytesView(c.bytes()).first(10), &consumed).error().code,
            Errc::truncated);
}

}  // namespace
}  // namespace agora
