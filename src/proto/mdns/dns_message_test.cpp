#include "proto/mdns/dns_message.h"

#include <gtest/gtest.h>

namespace agora::mdns {
namespace {

Bytes hex(std::string_view h) { return from_hex(h).value(); }
Name name(std::string_view dotted) { return Name::parse(dotted).value(); }

DnsMessage every_type() {
  DnsMessage m;
  m.id = 0x1234;
  m.flags = kFlagResponse | kFlagAuthoritative;
  m.questions.push_back({name("_p2p._udp.local"), rr::kPtr, rr::kClassIn, true});
  m.answers.push_back(
      {name("_p2p._udp.local"), rr::kClassIn, false, 120, PtrData{name("abc._p2p._udp.local")}});
  m.answers.push_back({name("abc._p2p._udp.local"), rr::kClassIn, true, 120,
                       TxtData{{"dnsaddr=/ip4/10.0.0.1/tcp/4001", "", std::string(255, 'x')}}});
  m.authorities.push_back({name("abc._p2p._udp.local"), rr::kClassIn, true, 120,
                           SrvData{1, 2, 4001, name("abc.p2p.local")}});
  m.additionals.push_back({name("abc.p2p.local"), rr::kClassIn, true, 120, AData{{10, 0, 0, 1}}});
  AaaaData six;
  six.address[0] = 0xfe;
  six.address[15] = 1;
  m.additionals.push_back({name("abc.p2p.local"), rr::kClassIn, true, 120, six});
  m.additionals.push_back(
      {name("abc.p2p.local"), rr::kClassIn, true, 120, RawData{47, hex("c00c0005")}});
  m.additionals.push_back({Name{}, 1440, false, 0, RawData{41, {}}});  // EDNS OPT
  return m;
}

TEST(DnsMessage, RoundTripsEveryRecordType) {
  DnsMessage m = every_type();
  auto bytes = encode_message(m);
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  auto back = decode_message(*bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, m);
  EXPECT_EQ(back->additionals[0].type(), rr::kA);
  EXPECT_EQ(back->additionals[2].type(), 47);
  auto again = encode_message(*back);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

TEST(DnsMessage, DecodesJsLibp2pQuery) {
  // Sent by js-libp2p 3.x @libp2p/mdns (multicast-dns 7.2.5); see testdata/capture_js_mdns.mjs.
  auto m =
      decode_message(hex("000000000001000000000000045f703270045f756470056c6f63616c00000c0001"));
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_FALSE(m->is_response());
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_EQ(m->questions[0], (Question{name("_p2p._udp.local"), rr::kPtr, rr::kClassIn, false}));
  EXPECT_TRUE(m->answers.empty());
}

TEST(DnsMessage, KeepsTopClassBitsApart) {
  // Question with QU set, record with cache-flush set.
  Bytes b =
      hex("000084000001000100000000"
          "0161000001"
          "8001"
          "0162000001"
          "8001"
          "0000000a"
          "0004"
          "7f000001");
  auto m = decode_message(b);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_TRUE(m->questions[0].unicast_response);
  EXPECT_EQ(m->questions[0].klass, rr::kClassIn);
  EXPECT_TRUE(m->answers[0].cache_flush);
  EXPECT_EQ(m->answers[0].klass, rr::kClassIn);
  EXPECT_EQ(m->answers[0].ttl_s, 10u);
  EXPECT_EQ(*encode_message(*m), b);  // different names: nothing to compress
}

TEST(DnsMessage, IgnoresBytesAfterTheLastRecord) {
  Bytes b =
      hex("000000000001000000000000"
          "0161000001"
          "0001"
          "00000000");
  auto m = decode_message(b);
  ASSERT_TRUE(m.ok()) << m.error().to_string();
  EXPECT_EQ(m->questions.size(), 1u);
}

struct BadInput {
  const char* what;
  std::string hex;  // header + body
  Errc code;
  const char* text;
};

// Header helpers: counts for questions, answers, authorities, additionals.
std::string header(int qd, int an, int ns = 0, int ar = 0) {
  char buf[25];
  std::snprintf(buf, sizeof buf, "00008400%04x%04x%04x%04x", qd, an, ns, ar);
  return buf;
}
const std::string kRec =
    "0161"
    "00";  // name "a"
const std::string kTypeClassTtl =
    "0001"
    "00000000";  // class IN, ttl 0
std::string record(const std::string& type, const std::string& rdlen, const std::string& rdata) {
  return kRec + type + kTypeClassTtl + rdlen + rdata;
}

TEST(DnsMessage, RefusesBadInputWithClearErrors) {
  std::string label63 = "3f" + std::string(126, '6');
  std::vector<BadInput> table = {
      {"empty", "", Errc::truncated, "no full header"},
      {"short header", "0000840000000001000000", Errc::truncated, "no full header"},
      {"counts beyond the bytes", header(0, 2) + record("0001", "0004", "7f000001"),
       Errc::truncated, "section counts"},
      {"too many questions", header(65, 0) + std::string(65 * 10, '0'), Errc::too_large,
       "questions_max"},
      {"too many records", header(0, 100, 100, 57) + std::string(257 * 22, '0'), Errc::too_large,
       "records_max"},
      {"question cut off",
       header(1, 0) + "0161"
                      "00"
                      "000c",
       Errc::truncated, "question cut off"},
      {"record header cut off",
       header(0, 1) + kRec +
           "0001"
           "0001"
           "00000000"
           "00",
       Errc::truncated, "record header cut off"},
      {"record data cut off", header(0, 1) + record("0001", "0004", "7f00"), Errc::truncated,
       "record data"},
      {"label of 64 (0x40 type)",
       header(1, 0) + "40" + std::string(128, '6') +
           "00"
           "000c0001",
       Errc::unsupported, "reserved label type"},
      {"label type 0x80",
       header(1, 0) + "80"
                      "00"
                      "000c0001"
                      "00",
       Errc::unsupported, "reserved label type"},
      {"name over 255 bytes",
       header(1, 0) + label63 + label63 + label63 + label63 +
           "00"
           "000c0001",
       Errc::too_large, "over 255 bytes"},
      {"pointer to itself",
       header(1, 0) + "c00c"
                      "000c0001",
       Errc::invalid_input, "loop"},
      {"pointer forward",
       header(1, 0) + "c012"
                      "000c0001"
                      "00",
       Errc::invalid_input, "does not point backwards"},
      {"names pointing at each other",
       header(2, 0) + "0161c014"
                      "000c0001"
                      "0162c00c"
                      "000c0001",
       Errc::invalid_input, "loop"},
      {"pointer cut off",
       header(1, 0) + "01610162"
                      "c0",
       Errc::truncated, "pointer cut off"},
      {"label past the end", header(1, 0) + "0961626364", Errc::truncated, "runs past the end"},
      {"A of 5 bytes", header(0, 1) + record("0001", "0005", "7f00000100"), Errc::invalid_input,
       "A record of 5 bytes"},
      {"AAAA of 4 bytes", header(0, 1) + record("001c", "0004", "7f000001"), Errc::invalid_input,
       "AAAA record of 4 bytes"},
      {"PTR data after its name",
       header(0, 1) + record("000c", "0003",
                             "0000"
                             "00"),
       Errc::invalid_input, "PTR data longer"},
      {"PTR name past its data",
       header(0, 1) + record("000c", "0002", "0362") +
           "6364"
           "00",
       Errc::invalid_input, "past its record data"},
      {"SRV too short", header(0, 1) + record("0021", "0006", "000000000fa1"), Errc::invalid_input,
       "SRV record of 6 bytes"},
      {"TXT string past its record", header(0, 1) + record("0010", "0003", "05616263") + "6465",
       Errc::invalid_input, "TXT string runs past"},
      {"TXT with 65 strings", header(0, 1) + record("0010", "0041", std::string(130, '0')),
       Errc::too_large, "txt_strings_max"},
  };
  for (const BadInput& t : table) {
    auto bytes = from_hex(t.hex);
    ASSERT_TRUE(bytes.ok()) << t.what;
    auto r = decode_message(*bytes);
    ASSERT_FALSE(r.ok()) << t.what;
    EXPECT_EQ(r.error().code, t.code) << t.what << ": " << r.error().to_string();
    EXPECT_NE(r.error().message.find(t.text), std::string::npos)
        << t.what << ": " << r.error().to_string();
  }
}

TEST(DnsMessage, RefusesOversizeMessagesBeforeReading) {
  Bytes big(9001, 0);
  auto r = decode_message(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::too_large);
  EXPECT_NE(r.error().message.find("message_bytes_max"), std::string::npos);
  Bytes ok(9000, 0);  // header with zero counts, then padding
  EXPECT_TRUE(decode_message(ok).ok());
  DnsLimits small;
  small.message_bytes_max = 100;
  EXPECT_EQ(decode_message(Bytes(101, 0), small).error().code, Errc::too_large);
}

TEST(DnsMessage, EveryTruncationFails) {
  Bytes full = *encode_message(every_type());
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = decode_message(BytesView(full).first(n));
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
  }
}

TEST(DnsMessage, ByteFlipsNeverCrashAndDecodedResultsReencode) {
  Bytes full = *encode_message(every_type());
  size_t decoded = 0;
  for (size_t i = 0; i < full.size(); ++i) {
    for (uint8_t x : {0x01, 0x40, 0x80, 0xC0, 0xFF}) {
      Bytes b = full;
      b[i] ^= x;
      auto r = decode_message(b);
      if (!r.ok()) continue;
      ++decoded;
      auto again = encode_message(*r);
      ASSERT_TRUE(again.ok()) << "byte " << i << ": " << again.error().to_string();
      auto back = decode_message(*again);
      ASSERT_TRUE(back.ok()) << "byte " << i;
      EXPECT_EQ(*back, *r) << "byte " << i;
    }
  }
  EXPECT_GT(decoded, 0u);  // flips of ids, ttls and data bytes still decode
}

TEST(DnsMessage, EncodeRefusesWhatCannotBeSent) {
  DnsMessage m;
  m.answers.push_back({name("a.local"), rr::kClassIn, false, 1, TxtData{{std::string(256, 'x')}}});
  EXPECT_EQ(encode_message(m).error().code, Errc::too_large);
  m.answers[0].data = RawData{rr::kPtr, {}};  // would decode as a PtrData
  EXPECT_EQ(encode_message(m).error().code, Errc::invalid_input);
  m.answers[0].data = PtrData{Name{{std::string(64, 'a')}}};
  EXPECT_EQ(encode_message(m).error().code, Errc::too_large);
  m.answers[0].data = RawData{99, Bytes(70000, 0)};
  EXPECT_EQ(encode_message(m).error().code, Errc::too_large);
}

TEST(DnsMessage, CompressesRepeatedNames) {
  // Eight names end in "local": the label is written once, the rest point at it.
  std::string bytes = to_hex(*encode_message(every_type()));
  for (std::string_view label : {"local", "_p2p", "_udp"}) {
    std::string wire = to_hex(Bytes{uint8_t(label.size())}) + to_hex(as_bytes(label));
    size_t first = bytes.find(wire);
    ASSERT_NE(first, std::string::npos) << label;
    EXPECT_EQ(bytes.find(wire, first + 1), std::string::npos) << label;
  }
}

}  // namespace
}  // namespace agora::mdns
