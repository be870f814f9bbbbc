#include "proto/diag/diag.h"

#include <gtest/gtest.h>

#include "codec/protobuf.h"

namespace agora::diag {
namespace {

DiagSpan span(uint8_t n) {
  DiagSpan s;
  s.trace_id[0] = n;
  s.span_id[7] = n;
  s.name = "served";
  s.protocol = "/agora/xfer/1.1.0";
  s.key = "bafy";
  s.bytes_sent = 1000u * n;
  s.outcome = "ok";
  s.start_ns = 100 + n;
  s.end_ns = 200 + n;
  return s;
}

TEST(Diag, RequestRoundTripsAndItsWindowIsChecked) {
  DiagRequest q{.trace_id = TraceId{1, 2, 3},
                .keys = {"bafyA", "12D3KooW"},
                .from_ns = 10,
                .to_ns = 20,
                .asker_time_ns = 15};
  auto back = decode_request(encode_request(q), {});
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->trace_id, q.trace_id);
  EXPECT_EQ(back->keys, q.keys);
  EXPECT_EQ(back->to_ns, 20);
  q.to_ns = 5;  // ends before it starts
  EXPECT_EQ(decode_request(encode_request(q), {}).error().code, Errc::invalid_input);
  q.to_ns = 10 + DiagLimits{}.window_ns_max + 1;  // wider than 10 minutes
  EXPECT_EQ(decode_request(encode_request(q), {}).error().code, Errc::too_large);
}

TEST(Diag, RequestsOverTheirLimitsAreRefused) {
  DiagRequest q;
  for (int i = 0; i < 65; ++i) q.keys.push_back("k" + std::to_string(i));
  EXPECT_EQ(decode_request(encode_request(q), {}).error().code, Errc::too_large);
  q.keys = {std::string(129, 'k')};
  EXPECT_EQ(decode_request(encode_request(q), {}).error().code, Errc::too_large);
  q.keys = {"\xff\xfe"};
  EXPECT_EQ(decode_request(encode_request(q), {}).error().code, Errc::invalid_input);
  EXPECT_EQ(decode_request(Bytes(20000, 0x08), {}).error().code, Errc::too_large);
  pb::Writer bad_id;
  bad_id.bytes(1, Bytes(15, 1));  // a trace id of 15 bytes
  EXPECT_EQ(decode_request(bad_id.data(), {}).error().code, Errc::invalid_input);
}

TEST(Diag, ResponseRoundTrips) {
  DiagResponse r{.spans = {span(1), span(2)}, .server_time_ns = 12345};
  r.spans[1].trace_id = {};  // a served span with no trace
  r.spans[1].parent_span_id = SpanId{9};
  auto back = decode_response(encode_response(r, {}), {});
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->spans.size(), 2u);
  EXPECT_EQ(back->spans[0].trace_id, r.spans[0].trace_id);
  EXPECT_EQ(back->spans[0].bytes_sent, 1000u);
  EXPECT_EQ(back->spans[1].trace_id, TraceId{});
  EXPECT_EQ(back->spans[1].parent_span_id, SpanId{9});
  EXPECT_EQ(back->spans[1].protocol, "/agora/xfer/1.1.0");
  EXPECT_EQ(back->server_time_ns, 12345);
  EXPECT_FALSE(back->truncated);
}

TEST(Diag, ResponsesStayWithinTheirLimitsAndSaySo) {
  DiagLimits limits;
  DiagResponse r;
  for (int i = 0; i < 1500; ++i) r.spans.push_back(span(uint8_t(i % 200 + 1)));
  Bytes wire = encode_response(r, limits);
  auto back = decode_response(wire, limits);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->spans.size(), limits.spans_max);
  EXPECT_TRUE(back->truncated);
  // Long strings: cut to their limit, not inside a UTF-8 sequence.
  DiagResponse big;
  for (int i = 0; i < 1000; ++i) {
    big.spans.push_back(span(1));
    big.spans.back().detail = std::string(1000, 'x') + "é";
  }
  wire = encode_response(big, limits);
  EXPECT_LE(wire.size(), limits.response_bytes_max);
  back = decode_response(wire, limits);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_TRUE(back->truncated);
  EXPECT_EQ(back->spans[0].detail.size(), limits.detail_bytes_max);
  DiagResponse accented{.spans = {span(1)}};
  accented.spans[0].detail = std::string(limits.detail_bytes_max - 1, 'x') + "é";  // 2 bytes
  back = decode_response(encode_response(accented, limits), limits);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->spans[0].detail.size(), limits.detail_bytes_max - 1);
}

TEST(Diag, MalformedResponsesAreRefused) {
  pb::Writer no_id;
  pb::Writer inner;
  inner.string(4, "served");
  no_id.bytes(1, inner.data());
  EXPECT_EQ(decode_response(no_id.data(), {}).error().code, Errc::invalid_input);
  EXPECT_EQ(decode_response(Bytes(300 * 1024, 0), {}).error().code, Errc::too_large);
  pb::Writer bad_utf8;
  pb::Writer s;
  s.bytes(2, Bytes(8, 1));
  s.bytes(4, Bytes{0xc0, 0x80});  // an overlong NUL
  bad_utf8.bytes(1, s.data());
  EXPECT_EQ(decode_response(bad_utf8.data(), {}).error().code, Errc::invalid_input);
}

}  // namespace
}  // namespace agora::diag
