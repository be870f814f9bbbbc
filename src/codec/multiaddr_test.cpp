#include "codec/multiaddr.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

constexpr std::string_view kEdId = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
constexpr std::string_view kEdIdHex =
    "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr std::string_view kEdIdCid =
    "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
constexpr std::string_view kRsaId = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
constexpr std::string_view kRsaIdHex =
    "12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9";

struct Vector {
  std::string text;
  std::string hex;
};

// notes/libp2p-wire.md section 4 (multiaddr.feature and @multiformats/multiaddr 13.0.3).
std::vector<Vector> spec_vectors() {
  std::string ed(kEdId), ed_hex(kEdIdHex), rsa(kRsaId), rsa_hex(kRsaIdHex);
  return {
      {"/ip4/192.0.2.42/tcp/443", "04c000022a0601bb"},
      {"/ip4/127.0.0.1/tcp/4001", "047f000001060fa1"},
      {"/ip6/::1/tcp/4001", "2900000000000000000000000000000001060fa1"},
      {"/ip6/2001:db8::1/udp/4001/quic-v1", "2920010db800000000000000000000000191020fa1cd03"},
      {"/ip4/1.2.3.4/udp/4001/quic-v1", "040102030491020fa1cd03"},
      {"/dns/example.com/tcp/443", "350b6578616d706c652e636f6d0601bb"},
      {"/dns4/example.com/tcp/80", "360b6578616d706c652e636f6d060050"},
      {"/dnsaddr/bootstrap.libp2p.io", "3813626f6f7473747261702e6c69627032702e696f"},
      {"/ip4/127.0.0.1/tcp/4001/p2p/" + ed, "047f000001060fa1a50326" + ed_hex},
      {"/ip4/1.2.3.4/tcp/4001/p2p/" + ed + "/p2p-circuit/p2p/" + rsa,
       "0401020304060fa1a50326" + ed_hex + "a202a50322" + rsa_hex},
      {"/p2p-circuit", "a202"},
      {"/ip4/127.0.0.1/tcp/4001/tls/ws", "047f000001060fa1c003dd03"},
  };
}

TEST(Multiaddr, SpecVectorsTextToBytes) {
  for (const auto& v : spec_vectors()) {
    auto ma = Multiaddr::parse(v.text);
    ASSERT_TRUE(ma.ok()) << v.text << ": " << ma.error().to_string();
    EXPECT_EQ(to_hex(ma->to_bytes()), v.hex) << v.text;
    EXPECT_EQ(ma->to_string(), v.text);
  }
}

TEST(Multiaddr, SpecVectorsBytesToText) {
  for (const auto& v : spec_vectors()) {
    auto ma = Multiaddr::from_bytes(from_hex(v.hex).value());
    ASSERT_TRUE(ma.ok()) << v.hex << ": " << ma.error().to_string();
    EXPECT_EQ(ma->to_string(), v.text);
    EXPECT_EQ(to_hex(ma->to_bytes()), v.hex);
  }
}

TEST(Multiaddr, OtherTransportsRoundTrip) {
  for (std::string text :
       {"/dns6/example.com/udp/443/quic-v1/webtransport", "/ip4/1.2.3.4/udp/1/quic",
        "/ip4/1.2.3.4/tcp/443/tls/sni/example.com/ws", "/ip4/1.2.3.4/tcp/443/wss",
        "/ip4/1.2.3.4/udp/9/webrtc-direct", "/ip6zone/eth0/ip6/fe80::1/tcp/1", "/ip4/0.0.0.0/tcp/0",
        "/ip4/1.2.3.4/tcp/1/noise", "/webrtc", "/ip6/::ffff:1.2.3.4/tcp/1"}) {
    auto ma = Multiaddr::parse(text);
    ASSERT_TRUE(ma.ok()) << text << ": " << ma.error().to_string();
    EXPECT_EQ(ma->to_string(), text);
    auto back = Multiaddr::from_bytes(ma->to_bytes());
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(*back, *ma);
  }
}

TEST(Multiaddr, NormalizesText) {
  const std::pair<std::string, std::string> cases[] = {
      {"/ip6/2001:0db8:0000:0000:0000:0000:0000:0001/tcp/1", "/ip6/2001:db8::1/tcp/1"},
      {"/ip6/2001:DB8:0:0:1:0:0:1/tcp/1", "/ip6/2001:db8::1:0:0:1/tcp/1"},     // RFC 5952 4.2.3
      {"/ip6/2001:db8:0:1:1:1:1:1/tcp/1", "/ip6/2001:db8:0:1:1:1:1:1/tcp/1"},  // no :: for one 0
      {"/ip6/0:0:0:0:0:0:0:0/tcp/1", "/ip6/::/tcp/1"},
      {"/ip4/1.2.3.4/tcp/080", "/ip4/1.2.3.4/tcp/80"},
      {"/ipfs/" + std::string(kEdId), "/p2p/" + std::string(kEdId)},
      {"/p2p/" + std::string(kEdIdCid), "/p2p/" + std::string(kEdId)},
      {"/ip4/1.2.3.4/tcp/1/", "/ip4/1.2.3.4/tcp/1"},
  };
  for (const auto& [in, out] : cases) {
    auto ma = Multiaddr::parse(in);
    ASSERT_TRUE(ma.ok()) << in << ": " << ma.error().to_string();
    EXPECT_EQ(ma->to_string(), out) << in;
  }
}

TEST(Multiaddr, EmptyAddress) {
  Multiaddr empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.to_string(), "/");
  EXPECT_TRUE(empty.to_bytes().empty());
  EXPECT_EQ(Multiaddr::parse("/").value(), empty);
  EXPECT_EQ(Multiaddr::from_bytes({}).value(), empty);
}

void expect_text_error(const std::string& text, std::string_view message) {
  auto ma = Multiaddr::parse(text);
  ASSERT_FALSE(ma.ok()) << text;
  EXPECT_EQ(ma.error().message, message) << text;
}

TEST(Multiaddr, TextErrorsNameTheComponent) {
  expect_text_error("/foo/1", "multiaddr: unknown protocol 'foo'");
  expect_text_error("/ip4/1.2.3.4/tcp/99999", "multiaddr: bad port '99999' for tcp");
  expect_text_error("/ip4/1.2.3.4/udp/-1", "multiaddr: bad port '-1' for udp");
  expect_text_error("/ip4/1.2.3.4/tcp/", "multiaddr: missing value for tcp");
  expect_text_error("/ip4/1.2.3.4/tcp", "multiaddr: missing value for tcp");
  expect_text_error("/ip4/1.2.3", "multiaddr: bad ip4 value '1.2.3'");
  expect_text_error("/ip4/256.1.1.1", "multiaddr: bad ip4 value '256.1.1.1'");
  expect_text_error("/ip6/1.2.3.4", "multiaddr: bad ip6 value '1.2.3.4'");
  expect_text_error("/ip6/fe80::1%eth0", "multiaddr: bad ip6 value 'fe80::1%eth0'");
  expect_text_error("ip4/1.2.3.4", "multiaddr: must start with '/'");
  expect_text_error("", "multiaddr: must start with '/'");
  expect_text_error("//ip4/1.2.3.4", "multiaddr: empty protocol name");
  expect_text_error("/ip4/1.2.3.4//tcp/1", "multiaddr: empty protocol name");
  expect_text_error("/dns//tcp/1", "multiaddr: bad dns value ''");
  EXPECT_FALSE(Multiaddr::parse("/p2p/notapeerid").ok());
  EXPECT_TRUE(Multiaddr::parse("/p2p/notapeerid")
                  .error()
                  .message.starts_with("multiaddr: bad p2p value 'notapeerid'"));
  EXPECT_FALSE(Multiaddr::parse("/dns/" + std::string(256, 'a')).ok());
}

TEST(Multiaddr, TextBounds) {
  std::string text;
  for (size_t i = 0; i < kMultiaddrComponentsMax; ++i) text += "/ws";
  EXPECT_TRUE(Multiaddr::parse(text).ok());
  auto over = Multiaddr::parse(text + "/ws");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::too_large);
  auto long_text = Multiaddr::parse("/dns/" + std::string(kMultiaddrTextCharsMax, 'a'));
  ASSERT_FALSE(long_text.ok());
  EXPECT_EQ(long_text.error().code, Errc::too_large);
}

TEST(Multiaddr, BinaryErrors) {
  auto bad = [](std::string_view h) {
    auto ma = Multiaddr::from_bytes(from_hex(h).value());
    return ma.ok() ? std::string() : ma.error().message;
  };
  EXPECT_EQ(bad("04c00002"), "multiaddr: truncated value for ip4");
  EXPECT_EQ(bad("06"), "multiaddr: truncated value for tcp");
  EXPECT_EQ(bad("0601"), "multiaddr: truncated value for tcp");
  EXPECT_EQ(bad("ff7f"), "multiaddr: unknown protocol code 16383");
  EXPECT_EQ(bad("350c6578616d706c652e636f6d"), "multiaddr: truncated value for dns");
  EXPECT_EQ(bad("3500"), "multiaddr: bad dns value ''");
  EXPECT_EQ(bad("35012f"), "multiaddr: bad dns value '2f'");  // '/' would break the text form
  EXPECT_FALSE(bad("8100").empty());                          // non-minimal protocol code
  EXPECT_FALSE(bad("80").empty());                            // truncated protocol code
  EXPECT_FALSE(bad("35").empty());                            // missing length
  EXPECT_FALSE(bad("a503036162").empty());                    // p2p value not a multihash
  EXPECT_FALSE(bad("a503051203616263").empty());              // sha2-256 digest too short
}

TEST(Multiaddr, BinaryBounds) {
  Bytes many;
  for (size_t i = 0; i <= kMultiaddrComponentsMax; ++i) append(many, from_hex("a202").value());
  auto over = Multiaddr::from_bytes(many);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, Errc::too_large);
  EXPECT_TRUE(Multiaddr::from_bytes(BytesView(many).first(2 * kMultiaddrComponentsMax)).ok());
  Bytes long_bytes(kMultiaddrBytesMax + 1, 0);
  auto too_long = Multiaddr::from_bytes(long_bytes);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code, Errc::too_large);
}

// Each form is checked against both bounds, so an accepted address always converts.
TEST(Multiaddr, BothFormsMustFit) {
  std::string name(255, 'a');
  std::string text;
  for (int i = 0; i < 28; ++i) text += "/ip6/::";  // 7 chars, 17 bytes each
  for (int i = 0; i < 3; ++i) text += "/dns/" + name;
  ASSERT_LE(text.size(), kMultiaddrTextCharsMax);
  auto binary_too_long = Multiaddr::parse(text);
  ASSERT_FALSE(binary_too_long.ok());
  EXPECT_EQ(binary_too_long.error().code, Errc::too_large);

  Bytes bytes;
  for (int i = 0; i < 3; ++i) {
    append(bytes, from_hex("35ff01").value());  // dns, length 255
    append(bytes, as_bytes(name));
  }
  for (int i = 0; i < 28; ++i) append(bytes, from_hex("06ffff").value());  // "/tcp/65535"
  ASSERT_LE(bytes.size(), kMultiaddrBytesMax);
  auto text_too_long = Multiaddr::from_bytes(bytes);
  ASSERT_FALSE(text_too_long.ok());
  EXPECT_EQ(text_too_long.error().code, Errc::too_large);
}

TEST(Multiaddr, PeerIdHelpers) {
  auto relay = Multiaddr::parse("/ip4/1.2.3.4/tcp/4001/p2p/" + std::string(kEdId) +
                                "/p2p-circuit/p2p/" + std::string(kRsaId))
                   .value();
  ASSERT_TRUE(relay.peer_id().has_value());
  EXPECT_EQ(relay.peer_id()->to_base58(), kRsaId);
  Multiaddr circuit = relay.without_peer_id();
  EXPECT_EQ(circuit.to_string(),
            "/ip4/1.2.3.4/tcp/4001/p2p/" + std::string(kEdId) + "/p2p-circuit");
  EXPECT_EQ(circuit.peer_id()->to_base58(), kEdId);  // the last /p2p/ is the relay's
  EXPECT_EQ(circuit.without_peer_id(), circuit);     // only a trailing /p2p/ is dropped

  Multiaddr plain = Multiaddr::parse("/ip4/1.2.3.4/tcp/4001").value();
  EXPECT_FALSE(plain.peer_id().has_value());
  PeerId ed = PeerId::parse(kEdId).value();
  PeerId rsa = PeerId::parse(kRsaId).value();
  Multiaddr with = plain.with_peer_id(ed);
  EXPECT_EQ(with.to_string(), "/ip4/1.2.3.4/tcp/4001/p2p/" + std::string(kEdId));
  EXPECT_EQ(with.peer_id(), ed);
  EXPECT_EQ(with.with_peer_id(rsa).to_string(), "/ip4/1.2.3.4/tcp/4001/p2p/" + std::string(kRsaId));
  EXPECT_EQ(with.without_peer_id(), plain);
}

TEST(Multiaddr, TcpEndpoint) {
  auto v4 = Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value().tcp_endpoint();
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 4001);
  EXPECT_FALSE(v4->ipv6);

  auto v6 = Multiaddr::parse("/ip6/::1/tcp/443/p2p/" + std::string(kEdId)).value().tcp_endpoint();
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 443);
  EXPECT_TRUE(v6->ipv6);

  for (const std::string& text :
       std::vector<std::string>{"/ip4/1.2.3.4/udp/1/quic-v1", "/dns/example.com/tcp/1",
                                "/ip4/1.2.3.4", "/ip4/1.2.3.4/tcp/1/ws", "/p2p-circuit",
                                "/ip4/1.2.3.4/tcp/1/p2p/" + std::string(kEdId) + "/p2p-circuit"}) {
    EXPECT_FALSE(Multiaddr::parse(text).value().tcp_endpoint().has_value()) << text;
  }
}

TEST(Multiaddr, FromTcp) {
  EXPECT_EQ(Multiaddr::from_tcp("127.0.0.1", 4001, false).to_string(), "/ip4/127.0.0.1/tcp/4001");
  EXPECT_EQ(to_hex(Multiaddr::from_tcp("127.0.0.1", 4001, false).to_bytes()), "047f000001060fa1");
  EXPECT_EQ(Multiaddr::from_tcp("2001:db8::1", 80, true).to_string(), "/ip6/2001:db8::1/tcp/80");
  EXPECT_TRUE(Multiaddr::from_tcp("::1", 1, false).empty());  // wrong family
  EXPECT_TRUE(Multiaddr::from_tcp("nonsense", 1, true).empty());
  auto ep = Multiaddr::from_tcp("10.0.0.7", 65535, false).tcp_endpoint();
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(ep->host, "10.0.0.7");
  EXPECT_EQ(ep->port, 65535);
}

}  // namespace
}  // namespace agora
