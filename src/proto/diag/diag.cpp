#include "proto/diag/diag.h"

#include <algorithm>

#include "base/text.h"
#include "codec/protobuf.h"

namespace agora::diag {

namespace {

template <size_t N>
Result<std::array<uint8_t, N>> id_of(const pb::Field& f, const char* what) {
  if (f.type != pb::kLen || f.bytes.size() != N)
    return make_error(Errc::invalid_input,
                      std::string(what) + ": " + std::to_string(N) + " bytes expected");
  std::array<uint8_t, N> id{};
  std::copy(f.bytes.begin(), f.bytes.end(), id.begin());
  return id;
}

Result<std::string> string_of(const pb::Field& f, size_t max, const char* what) {
  if (f.type != pb::kLen) return make_error(Errc::invalid_input, std::string(what) + ": not bytes");
  if (f.bytes.size() > max)
    return make_error(Errc::too_large,
                      std::string(what) + ": over " + std::to_string(max) + " bytes");
  if (!is_clean_text(as_chars(f.bytes)))
    return make_error(Errc::invalid_input,
                      std::string(what) + ": not UTF-8, or with control characters");
  return std::string(as_chars(f.bytes));
}

// Times: at most 4e18 (Unix ns until the year 2096), so the arithmetic done with them (offsets,
// windows: a difference and a sum of two) cannot overflow.
Result<int64_t> number_of(const pb::Field& f, const char* what) {
  if (f.type != pb::kVarint)
    return make_error(Errc::invalid_input, std::string(what) + ": not a varint");
  if (f.varint > 4'000'000'000'000'000'000u)
    return make_error(Errc::invalid_input, std::string(what) + ": out of range");
  return int64_t(f.varint);
}

// At most `max` bytes, not inside a UTF-8 sequence.
std::string_view cut(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  while (max > 0 && (uint8_t(s[max]) & 0xc0) == 0x80) --max;
  return s.substr(0, max);
}

void write_span(pb::Writer& w, const DiagSpan& s, const DiagLimits& limits) {
  if (!is_zero_id(s.trace_id)) w.bytes(1, s.trace_id);
  w.bytes(2, s.span_id);
  if (!is_zero_id(s.parent_span_id)) w.bytes(3, s.parent_span_id);
  w.string(4, cut(s.name, limits.name_bytes_max));
  w.string(5, cut(s.protocol, limits.protocol_bytes_max));
  w.string(6, cut(s.key, limits.key_bytes_max));
  w.varint(7, s.inbound ? 1 : 0);
  w.varint(8, s.bytes_sent);
  w.varint(9, s.bytes_received);
  w.string(10, cut(s.outcome, limits.name_bytes_max));
  w.string(11, cut(s.detail, limits.detail_bytes_max));
  w.varint(12, uint64_t(s.start_ns));
  w.varint(13, uint64_t(s.end_ns));
}

Result<DiagSpan> read_span(BytesView bytes, const DiagLimits& limits) {
  DiagSpan s;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    switch (f.number) {
      case 1: {
        AGORA_ASSIGN(s.trace_id, id_of<16>(f, "span trace_id"));
        break;
      }
      case 2: {
        AGORA_ASSIGN(s.span_id, id_of<8>(f, "span_id"));
        break;
      }
      case 3: {
        AGORA_ASSIGN(s.parent_span_id, id_of<8>(f, "parent_span_id"));
        break;
      }
      case 4: {
        AGORA_ASSIGN(s.name, string_of(f, limits.name_bytes_max, "name"));
        break;
      }
      case 5: {
        AGORA_ASSIGN(s.protocol, string_of(f, limits.protocol_bytes_max, "protocol"));
        break;
      }
      case 6: {
        AGORA_ASSIGN(s.key, string_of(f, limits.key_bytes_max, "key"));
        break;
      }
      case 7:
        s.inbound = f.varint != 0;
        break;
      case 8:
        s.bytes_sent = f.varint;
        break;
      case 9:
        s.bytes_received = f.varint;
        break;
      case 10: {
        AGORA_ASSIGN(s.outcome, string_of(f, limits.name_bytes_max, "outcome"));
        break;
      }
      case 11: {
        AGORA_ASSIGN(s.detail, string_of(f, limits.detail_bytes_max, "detail"));
        break;
      }
      case 12: {
        AGORA_ASSIGN(s.start_ns, number_of(f, "start_ns"));
        break;
      }
      case 13: {
        AGORA_ASSIGN(s.end_ns, number_of(f, "end_ns"));
        break;
      }
      default:
        break;  // unknown fields are skipped
    }
  }
  if (is_zero_id(s.span_id)) return make_error(Errc::invalid_input, "a span without a span_id");
  return s;
}

}  // namespace

Bytes encode_request(const DiagRequest& q) {
  pb::Writer w;
  if (q.trace_id) w.bytes(1, *q.trace_id);
  for (const std::string& key : q.keys) w.string(2, key);
  w.varint(3, uint64_t(q.from_ns));
  w.varint(4, uint64_t(q.to_ns));
  w.varint(5, uint64_t(q.asker_time_ns));
  return w.take();
}

Result<DiagRequest> decode_request(BytesView bytes, const DiagLimits& limits) {
  if (bytes.size() > limits.request_bytes_max)
    return make_error(Errc::too_large,
                      "diag request over " + std::to_string(limits.request_bytes_max) + " bytes");
  DiagRequest q;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == 1) {
      AGORA_ASSIGN(q.trace_id, id_of<16>(f, "trace_id"));
    } else if (f.number == 2) {
      if (q.keys.size() == limits.keys_max)
        return make_error(Errc::too_large,
                          "diag request: over " + std::to_string(limits.keys_max) + " keys");
      AGORA_ASSIGN(std::string key, string_of(f, limits.key_bytes_max, "key"));
      q.keys.push_back(std::move(key));
    } else if (f.number == 3) {
      AGORA_ASSIGN(q.from_ns, number_of(f, "from_ns"));
    } else if (f.number == 4) {
      AGORA_ASSIGN(q.to_ns, number_of(f, "to_ns"));
    } else if (f.number == 5) {
      AGORA_ASSIGN(q.asker_time_ns, number_of(f, "asker_time_ns"));
    }
  }
  if (q.from_ns < 0 || q.to_ns < q.from_ns)
    return make_error(Errc::invalid_input, "diag request: the window ends before it starts");
  if (q.to_ns - q.from_ns > limits.window_ns_max)
    return make_error(Errc::too_large, "diag request: a window over " +
                                           std::to_string(limits.window_ns_max / 1000'000'000) +
                                           " s");
  return q;
}

Bytes encode_response(DiagResponse response, const DiagLimits& limits) {
  pb::Writer w;
  const size_t room = limits.response_bytes_max - 64;  // the two fields after the spans
  for (size_t i = 0; i < response.spans.size(); ++i) {
    pb::Writer one;
    write_span(one, response.spans[i], limits);
    if (i == limits.spans_max || w.data().size() + one.data().size() + 8 > room) {
      response.truncated = true;
      break;
    }
    w.bytes(1, one.data());
  }
  w.varint(2, uint64_t(response.server_time_ns));
  if (response.truncated) w.varint(3, 1);
  return w.take();
}

Result<DiagResponse> decode_response(BytesView bytes, const DiagLimits& limits) {
  if (bytes.size() > limits.response_bytes_max)
    return make_error(Errc::too_large,
                      "diag response over " + std::to_string(limits.response_bytes_max) + " bytes");
  DiagResponse out;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == 1) {
      if (f.type != pb::kLen) return make_error(Errc::invalid_input, "span: not a message");
      if (out.spans.size() == limits.spans_max)
        return make_error(Errc::too_large,
                          "diag response: over " + std::to_string(limits.spans_max) + " spans");
      AGORA_ASSIGN(DiagSpan span, read_span(f.bytes, limits));
      out.spans.push_back(std::move(span));
    } else if (f.number == 2) {
      AGORA_ASSIGN(out.server_time_ns, number_of(f, "server_time_ns"));
    } else if (f.number == 3) {
      out.truncated = f.varint != 0;
    }
  }
  return out;
}

}  // namespace agora::diag
