// /agora/diag/1.0.0 messages (docs/tracing.md): a peer asks another for the spans it recorded of
// the asker's own requests, and learns the other's clock. One request and one response per
// stream, each a length-prefixed protobuf message. Sans-I/O: bytes in, structs out.
//
//   DiagRequest  { 1: trace_id (16 bytes, optional)  2: keys (repeated string)
//                  3: from_ns  4: to_ns  5: asker_time_ns (uint64, Unix ns) }
//   DiagResponse { 1: spans (repeated DiagSpan)  2: server_time_ns  3: truncated (bool) }
//   DiagSpan     { 1: trace_id  2: span_id  3: parent_span_id (bytes, absent when none)
//                  4: name  5: protocol  6: key  7: inbound (bool)  8: bytes_sent
//                  9: bytes_received  10: outcome  11: detail  12: start_ns  13: end_ns }
//
// A served span's peer is the asker itself, so it does not travel. Every count and string has a
// limit (DiagLimits); decoding refuses what breaks one (Errc::too_large) or is malformed
// (Errc::invalid_input); encoding a response stops adding spans at the limits and says so
// (truncated), and cuts strings to their limit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/trace_context.h"

namespace agora::diag {

inline constexpr std::string_view kProtocolId = "/agora/diag/1.0.0";

struct DiagLimits {
  size_t keys_max = 64;
  size_t key_bytes_max = 128;
  int64_t window_ns_max = int64_t(600) * 1000'000'000;  // 10 minutes
  size_t spans_max = 1000;
  size_t response_bytes_max = 256 * 1024;
  size_t request_bytes_max = 16 * 1024;
  size_t name_bytes_max = 64;
  size_t protocol_bytes_max = 128;
  size_t detail_bytes_max = 256;
};

struct DiagRequest {
  std::optional<TraceId> trace_id;
  std::vector<std::string> keys;
  int64_t from_ns = 0;
  int64_t to_ns = 0;
  int64_t asker_time_ns = 0;
};

struct DiagSpan {
  TraceId trace_id{};  // all zero: no trace travelled with the request
  SpanId span_id{};
  SpanId parent_span_id{};
  std::string name;
  std::string protocol;
  std::string key;
  bool inbound = true;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  std::string outcome;
  std::string detail;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

struct DiagResponse {
  std::vector<DiagSpan> spans;
  int64_t server_time_ns = 0;
  bool truncated = false;
};

Bytes encode_request(const DiagRequest& request);
// Also checks the window: to_ns >= from_ns and at most window_ns_max wide.
Result<DiagRequest> decode_request(BytesView bytes, const DiagLimits& limits);
// Spans past spans_max or response_bytes_max are left out and `truncated` set.
Bytes encode_response(DiagResponse response, const DiagLimits& limits);
Result<DiagResponse> decode_response(BytesView bytes, const DiagLimits& limits);

}  // namespace agora::diag
