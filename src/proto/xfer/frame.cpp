#include "proto/xfer/frame.h"

#include <algorithm>

#include "codec/varint.h"

namespace agora::xfer {

const char* frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::open:
      return "OPEN";
    case FrameType::want:
      return "WANT";
    case FrameType::cancel:
      return "CANCEL";
    case FrameType::node:
      return "NODE";
    case FrameType::skeleton_end:
      return "SKELETON_END";
    case FrameType::have:
      return "HAVE";
    case FrameType::have_all:
      return "HAVE_ALL";
    case FrameType::leaf:
      return "LEAF";
    case FrameType::missing:
      return "MISSING";
    case FrameType::error:
      return "ERROR";
    case FrameType::choke:
      return "CHOKE";
    case FrameType::unchoke:
      return "UNCHOKE";
  }
  return "?";
}

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::not_a_file:
      return "not_a_file";
    case ErrorCode::too_large:
      return "too_large";
    case ErrorCode::busy:
      return "busy";
    case ErrorCode::protocol:
      return "protocol";
  }
  return "unknown";
}

namespace {

Bytes frame(FrameType type, BytesView body) {
  Bytes out;
  out.reserve(2 + kUvarintBytesMax + body.size());
  put_uvarint(out, uint64_t(type));
  put_uvarint(out, body.size());
  append(out, body);
  return out;
}

// Reads one uvarint from the front of `in`, advancing it; a truncated one is malformed here
// (bodies are whole).
Result<uint64_t> take_uvarint(BytesView& in) {
  auto v = read_uvarint(in);
  if (!v) return make_error(Errc::invalid_input, "bad varint in xfer frame body");
  in = in.subspan(v->size);
  return v->value;
}

bool known_type(uint64_t t) { return (t >= 1 && t <= 3) || (t >= 16 && t <= 24); }

bool server_receives(FrameType t) {
  return t == FrameType::open || t == FrameType::want || t == FrameType::cancel;
}

bool is_block_frame(FrameType t) { return t == FrameType::node || t == FrameType::leaf; }

}  // namespace

namespace {
constexpr size_t kTraceBytes = 1 + 16 + 8;  // version 0, trace id, span id
}  // namespace

Bytes encode_open(const Cid& root, const std::optional<TraceContext>& trace) {
  Bytes body = root.bytes();
  if (trace) {
    body.push_back(0);
    body.insert(body.end(), trace->trace_id.begin(), trace->trace_id.end());
    body.insert(body.end(), trace->span_id.begin(), trace->span_id.end());
  }
  return frame(FrameType::open, body);
}

Bytes encode_ranges(FrameType type, std::span<const LeafRange> ranges) {
  Bytes body;
  for (const LeafRange& r : ranges) {
    put_uvarint(body, r.first);
    put_uvarint(body, r.count);
  }
  return frame(type, body);
}

Bytes encode_skeleton_end(const SkeletonEnd& end) {
  Bytes body;
  put_uvarint(body, end.nodes);
  put_uvarint(body, end.leaves);
  put_uvarint(body, end.file_bytes);
  return frame(FrameType::skeleton_end, body);
}

Bytes encode_have(const HaveBits& have) {
  Bytes body;
  put_uvarint(body, have.first);
  append(body, have.bits);
  return frame(FrameType::have, body);
}

Bytes encode_have_all() { return frame(FrameType::have_all, {}); }

Bytes encode_choke(bool choked) {
  return frame(choked ? FrameType::choke : FrameType::unchoke, {});
}

Bytes encode_error(const ErrorFrame& error) {
  Bytes body;
  put_uvarint(body, uint64_t(error.code));
  append(body, as_bytes(error.message));
  return frame(FrameType::error, body);
}

Bytes encode_node_header(size_t block_bytes) {
  Bytes out;
  put_uvarint(out, uint64_t(FrameType::node));
  put_uvarint(out, block_bytes);
  return out;
}

Bytes encode_leaf_header(uint64_t index, size_t block_bytes) {
  Bytes out;
  put_uvarint(out, uint64_t(FrameType::leaf));
  put_uvarint(out, uvarint_size(index) + block_bytes);
  put_uvarint(out, index);
  return out;
}

Result<Cid> decode_open(BytesView body) {
  auto cid = Cid::from_bytes(body);
  if (!cid) return make_error(Errc::invalid_input, "OPEN: " + cid.error().message);
  return cid;
}

Result<OpenRequest> decode_open_traced(BytesView body) {
  size_t cid_bytes = 0;
  auto root = Cid::read_prefix(body, &cid_bytes);
  if (!root) return make_error(Errc::invalid_input, "OPEN: " + root.error().message);
  BytesView trace = body.subspan(cid_bytes);
  if (trace.empty()) return OpenRequest{std::move(*root), std::nullopt};
  if (trace.size() != kTraceBytes || trace[0] != 0)
    return make_error(Errc::invalid_input,
                      "OPEN: after the CID, " + std::to_string(trace.size()) +
                          " bytes that are not a version-0 trace context (25 bytes)");
  TraceContext context;
  std::copy(trace.begin() + 1, trace.begin() + 17, context.trace_id.begin());
  std::copy(trace.begin() + 17, trace.end(), context.span_id.begin());
  if (is_zero_id(context.trace_id) || is_zero_id(context.span_id))
    return make_error(Errc::invalid_input, "OPEN: an all-zero trace or span id");
  return OpenRequest{std::move(*root), context};
}

Result<std::vector<LeafRange>> decode_ranges(BytesView body, const XferLimits& limits) {
  std::vector<LeafRange> out;
  if (body.empty()) return make_error(Errc::invalid_input, "no ranges");
  while (!body.empty()) {
    if (out.size() == limits.ranges_per_frame_max)
      return make_error(
          Errc::too_large,
          "more than " + std::to_string(limits.ranges_per_frame_max) + " ranges in one frame");
    AGORA_ASSIGN(uint64_t first, take_uvarint(body));
    AGORA_ASSIGN(uint64_t count, take_uvarint(body));
    if (count == 0 || first + count < first || first + count > limits.leaves_max)
      return make_error(Errc::invalid_input,
                        "bad leaf range " + std::to_string(first) + "+" + std::to_string(count));
    out.push_back({first, count});
  }
  return out;
}

Result<SkeletonEnd> decode_skeleton_end(BytesView body) {
  SkeletonEnd end;
  AGORA_ASSIGN(end.nodes, take_uvarint(body));
  AGORA_ASSIGN(end.leaves, take_uvarint(body));
  AGORA_ASSIGN(end.file_bytes, take_uvarint(body));
  if (!body.empty()) return make_error(Errc::invalid_input, "SKELETON_END: trailing bytes");
  return end;
}

Result<HaveBits> decode_have(BytesView body) {
  HaveBits have;
  AGORA_ASSIGN(have.first, take_uvarint(body));
  if (body.empty()) return make_error(Errc::invalid_input, "HAVE: no bitmap");
  have.bits.assign(body.begin(), body.end());
  return have;
}

Result<ErrorFrame> decode_error(BytesView body, const XferLimits& limits) {
  ErrorFrame e;
  AGORA_ASSIGN(uint64_t code, take_uvarint(body));
  if (code < 1 || code > 5) return make_error(Errc::invalid_input, "ERROR: unknown code");
  e.code = ErrorCode(code);
  if (body.size() > limits.error_text_bytes_max)
    return make_error(Errc::too_large, "ERROR: message too long");
  e.message.assign(as_chars(body));
  return e;
}

Status FrameReader::check_header() {
  const char* name = frame_type_name(frame_.type);
  bool ours = server_receives(frame_.type) == (side_ == Side::server);
  if (!ours) return make_error(Errc::protocol, std::string(name) + " frame sent the wrong way");
  size_t max =
      is_block_frame(frame_.type) ? limits_.block_bytes_max : limits_.control_body_bytes_max;
  if (body_left_ > max)
    return make_error(Errc::protocol, std::string(name) + " frame of " +
                                          std::to_string(body_left_) + " bytes (limit " +
                                          std::to_string(max) + ")");
  return {};
}

Result<std::optional<Frame>> FrameReader::next(BytesView& data) {
  while (!in_body_) {
    if (data.empty()) return std::optional<Frame>();
    header_.push_back(data[0]);
    data = data.subspan(1);
    if (header_.size() > 3 * kUvarintBytesMax)
      return make_error(Errc::protocol, "xfer frame header too long");
    BytesView h(header_);
    auto type = read_uvarint(h);
    if (!type && type.error().code == Errc::truncated) continue;
    if (!type || !known_type(type->value))
      return make_error(Errc::protocol, "unknown or malformed xfer frame type");
    auto length = read_uvarint(h.subspan(type->size));
    if (!length && length.error().code == Errc::truncated) continue;
    if (!length) return make_error(Errc::protocol, "malformed xfer frame length");
    frame_ = Frame{};
    frame_.type = FrameType(type->value);
    body_left_ = length->value;
    if (frame_.type == FrameType::leaf) {
      if (length->value > limits_.block_bytes_max + kUvarintBytesMax)
        return make_error(Errc::protocol, "LEAF frame of " + std::to_string(length->value) +
                                              " bytes (limit " +
                                              std::to_string(limits_.block_bytes_max) + ")");
      auto index = read_uvarint(h.subspan(type->size + length->size));
      if (!index && index.error().code == Errc::truncated) {
        if (header_.size() - type->size - length->size >= length->value)
          return make_error(Errc::protocol, "LEAF frame shorter than its index");
        continue;
      }
      if (!index || index->size > body_left_)
        return make_error(Errc::protocol, "malformed LEAF index");
      frame_.index = index->value;
      body_left_ -= index->size;
    }
    AGORA_TRY(check_header());
    header_.clear();
    in_body_ = true;
    frame_.body.reserve(body_left_);
  }
  size_t take = size_t(std::min<uint64_t>(body_left_, data.size()));
  frame_.body.insert(frame_.body.end(), data.begin(), data.begin() + take);
  data = data.subspan(take);
  body_left_ -= take;
  if (body_left_ > 0) return std::optional<Frame>();
  in_body_ = false;
  return std::optional<Frame>(std::move(frame_));
}

}  // namespace agora::xfer
