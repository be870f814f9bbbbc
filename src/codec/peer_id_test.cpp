#include "codec/peer_id.h"

#include <gtest/gtest.h>

#include "codec/multibase.h"
#include "codec/multihash.h"

namespace agora {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }

constexpr std::string_view kEdKeyHex =
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr std::string_view kEdPeerIdText = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
constexpr std::string_view kEdPeerIdHex =
    "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr std::string_view kEdPeerIdCid =
    "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
constexpr std::string_view kRsaPeerIdText = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
constexpr std::string_view kRsaPeerIdCid =
    "bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe";

// A 2048-bit RSA PublicKey protobuf and its peer id, as produced by go-libp2p (the vector is
// carried in jvm-libp2p's PeerIdTest).
constexpr std::string_view kRsaKeyPbHex =
    "080012a60230820122300d06092a864886f70d01010105000382010f003082010a0282010100baa3fd95db3f6179"
    "ce6b0f1c0c130f2fafbb3ddb20b77bac8a1a408c84af6e3de7dc09dc74cc117360ec6100fe146b7e1a298a546aa8"
    "b7b2e1de81780cc0bf888b53bf9cb5fc8145b83b34a6eb93fa41e15d5e03bb492d87f9d76b6b3b77f2d7c879cf17"
    "15ce2bde1552050f3556d42fb466e7a5eb2b9fd74f8c6dad741d4dcfde046173cb0385c498a781ea5bccb2531758"
    "68384f32ac9b2579374d2e9a187acba3abb4f16a5c01c6cbfafddfb75793062e3b7a5c753e6fdfa6f7c7654466f3"
    "3164680c37545a3954fd1636fdc985f6fd2237f96c949d492df0ad7686f9a72760182d3264103825e4277e1f68c0"
    "3b906b3e747d5a73b6673c73890128c565170203010001";
constexpr std::string_view kRsaKeyPeerIdHex =
    "12201133e39444593a3f91c45aba4f44099fc7246866af9917f8648160180b3ec6ac";

PublicKeyProto ed_key() { return {KeyType::ed25519, hex(kEdKeyHex)}; }

TEST(PublicKey, Ed25519DeterministicEncoding) {
  Bytes pb = encode_public_key(ed_key());
  EXPECT_EQ(to_hex(pb), "08011220" + std::string(kEdKeyHex));
  auto back = decode_public_key(pb);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->type, KeyType::ed25519);
  EXPECT_EQ(back->data, hex(kEdKeyHex));
}

TEST(PublicKey, RsaRoundTrip) {
  auto key = decode_public_key(hex(kRsaKeyPbHex));
  ASSERT_TRUE(key.ok()) << key.error().to_string();
  EXPECT_EQ(key->type, KeyType::rsa);
  EXPECT_EQ(to_hex(encode_public_key(*key)), kRsaKeyPbHex);
}

TEST(PublicKey, RejectsJunk) {
  std::string k(kEdKeyHex);
  auto bad = [](std::string h) { return !decode_public_key(from_hex(h).value()).ok(); };
  EXPECT_TRUE(bad(""));                           // both fields missing
  EXPECT_TRUE(bad("0801"));                       // Data missing
  EXPECT_TRUE(bad("1220" + k));                   // Type missing
  EXPECT_TRUE(bad("080108011220" + k));           // duplicate Type
  EXPECT_TRUE(bad("08011220" + k + "1220" + k));  // duplicate Data
  EXPECT_TRUE(bad("08011220" + k + "1801"));      // unknown field 3
  EXPECT_TRUE(bad("08041220" + k));               // unknown key type
  EXPECT_TRUE(bad("0801121f" + k.substr(2)));     // ed25519 key of 31 bytes
  EXPECT_TRUE(bad("08011a20" + k));               // Data with the wrong field number
  EXPECT_TRUE(bad("08011221" + k));               // length past end
  Bytes oversize = encode_public_key({KeyType::rsa, Bytes(kPublicKeyDataBytesMax + 1, 1)});
  auto r = decode_public_key(oversize);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
}

TEST(PeerId, Ed25519SpecVector) {
  PeerId id = PeerId::from_public_key(ed_key());
  EXPECT_EQ(to_hex(id.bytes()), kEdPeerIdHex);
  EXPECT_EQ(id.to_base58(), kEdPeerIdText);
  EXPECT_EQ(id.to_string(), kEdPeerIdText);
  EXPECT_EQ(id.to_cid_string(), kEdPeerIdCid);
  auto key = id.public_key();
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->data, hex(kEdKeyHex));
}

TEST(PeerId, ParsesBothTextForms) {
  auto legacy = PeerId::parse(kEdPeerIdText);
  ASSERT_TRUE(legacy.ok()) << legacy.error().to_string();
  auto cid = PeerId::parse(kEdPeerIdCid);
  ASSERT_TRUE(cid.ok()) << cid.error().to_string();
  EXPECT_EQ(*legacy, *cid);
  EXPECT_EQ(to_hex(legacy->bytes()), kEdPeerIdHex);

  auto rsa = PeerId::parse(kRsaPeerIdText);
  ASSERT_TRUE(rsa.ok()) << rsa.error().to_string();
  EXPECT_EQ(rsa->to_cid_string(), kRsaPeerIdCid);
  EXPECT_EQ(to_hex(rsa->bytes()),
            "12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9");
  auto rsa_cid = PeerId::parse(kRsaPeerIdCid);
  ASSERT_TRUE(rsa_cid.ok());
  EXPECT_EQ(rsa_cid->to_base58(), kRsaPeerIdText);
  EXPECT_EQ(rsa->public_key().error().code, Errc::unsupported);  // hashed, not inline
}

TEST(PeerId, OtherMultibasesOfTheCid) {
  PeerId id = PeerId::parse(kEdPeerIdText).value();
  Bytes cid = hex("0172" + std::string(kEdPeerIdHex));
  for (Base base : {Base::base36, Base::base58btc, Base::base16, Base::base32upper}) {
    auto parsed = PeerId::parse(multibase_encode(base, cid));
    ASSERT_TRUE(parsed.ok()) << multibase_encode(base, cid);
    EXPECT_EQ(*parsed, id);
  }
}

TEST(PeerId, LargeKeyIsHashed) {
  PeerId id = PeerId::from_public_key(decode_public_key(hex(kRsaKeyPbHex)).value());
  EXPECT_EQ(to_hex(id.bytes()), kRsaKeyPeerIdHex);
  EXPECT_TRUE(id.to_base58().starts_with("Qm"));
}

TEST(PeerId, InlineThresholdIs42Bytes) {
  // secp256k1 compressed keys (33 bytes) give a 37-byte protobuf: inline.
  PeerId small = PeerId::from_public_key({KeyType::secp256k1, Bytes(33, 2)});
  EXPECT_EQ(small.bytes()[0], 0x00);
  // 38-byte data -> 42-byte protobuf: still inline. 39 -> 43: hashed.
  EXPECT_EQ(PeerId::from_public_key({KeyType::ecdsa, Bytes(38, 1)}).bytes()[0], 0x00);
  PeerId hashed = PeerId::from_public_key({KeyType::ecdsa, Bytes(39, 1)});
  EXPECT_EQ(hashed.bytes()[0], 0x12);
  EXPECT_EQ(hashed.bytes().size(), 34u);
}

TEST(PeerId, FromBytesRejectsJunk) {
  auto bad = [](std::string_view h) { return !PeerId::from_bytes(from_hex(h).value()).ok(); };
  EXPECT_TRUE(bad(""));
  EXPECT_TRUE(bad("1203616263"));                   // sha2-256 of wrong size
  EXPECT_TRUE(bad("1320" + std::string(64, 'a')));  // sha2-512 code: unsupported
  EXPECT_TRUE(bad("0003666f6f"));                   // identity digest that is not a PublicKey
  // identity of a key with its fields swapped: not the deterministic encoding.
  EXPECT_TRUE(bad("00241220" + std::string(kEdKeyHex) + "0801"));
  EXPECT_FALSE(bad(kEdPeerIdHex));
  EXPECT_FALSE(bad(kRsaKeyPeerIdHex));
}

TEST(PeerId, ParseRejectsJunk) {
  for (std::string_view text :
       {"", "1", "Qm", "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p0",
        "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt", "xyz"}) {
    EXPECT_FALSE(PeerId::parse(text).ok()) << text;
  }
  EXPECT_EQ(PeerId::parse(std::string(kPeerIdTextCharsMax + 1, '1')).error().code, Errc::too_large);
  // Well-formed CIDs that are not peer ids: raw codec (0x55), CIDv0-style version 0.
  std::string mh(kEdPeerIdHex);
  EXPECT_FALSE(PeerId::parse(multibase_encode(Base::base32, hex("0155" + mh))).ok());
  EXPECT_FALSE(PeerId::parse(multibase_encode(Base::base32, hex("0072" + mh))).ok());
  EXPECT_FALSE(PeerId::parse(multibase_encode(Base::base32, hex("0172"))).ok());
}

TEST(PeerId, OrderingAndEquality) {
  PeerId a = PeerId::parse(kEdPeerIdText).value();
  PeerId b = PeerId::parse(kRsaPeerIdText).value();
  EXPECT_NE(a, b);
  EXPECT_TRUE(a < b);  // 0x00 < 0x12
  EXPECT_TRUE(PeerId().empty());
}

}  // namespace
}  // namespace agora
