// /agora/xfer/1.0.0 frames (docs/xfer.md): `type:uvarint body_length:uvarint body`, encoders for
// each frame and an incremental reader. Sans-I/O: bytes in, frames out.
//
// The reader checks each frame's type against the side it reads for (a downloader never accepts
// WANT, a server never LEAF) and its length against XferLimits as soon as the header is read,
// before any body is buffered. A LEAF's index is read from the front of its body, so the body it
// hands over is exactly the block; NODE and LEAF bodies are built by appending what arrives (no
// zero fill, one copy out of the transport's buffer). Memory held: one frame body at most.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/trace_context.h"
#include "codec/cid.h"
#include "proto/xfer/limits.h"

namespace agora::xfer {

enum class FrameType : uint8_t {
  open = 1,
  want = 2,
  cancel = 3,
  node = 16,
  skeleton_end = 17,
  have = 18,
  have_all = 19,
  leaf = 20,
  missing = 21,
  error = 22,
  choke = 23,
  unchoke = 24,
};
const char* frame_type_name(FrameType type);

enum class ErrorCode : uint8_t {
  not_found = 1,
  not_a_file = 2,
  too_large = 3,
  busy = 4,
  protocol = 5
};
const char* error_code_name(ErrorCode code);

struct LeafRange {
  uint64_t first = 0;
  uint64_t count = 0;
  bool operator==(const LeafRange&) const = default;
};
struct SkeletonEnd {
  uint64_t nodes = 0;
  uint64_t leaves = 0;
  uint64_t file_bytes = 0;
  bool operator==(const SkeletonEnd&) const = default;
};
struct HaveBits {
  uint64_t first = 0;
  Bytes bits;  // bit k of byte j (LSB first): holds leaf first + 8j + k
};
struct ErrorFrame {
  ErrorCode code = ErrorCode::protocol;
  std::string message;
};

// Whole frames, header and body.
// With a context (only on /agora/xfer/1.1.0): the root CID, then 0x00, the trace id, the span id.
Bytes encode_open(const Cid& root, const std::optional<TraceContext>& trace = std::nullopt);
Bytes encode_ranges(FrameType type, std::span<const LeafRange> ranges);  // want, cancel, missing
Bytes encode_skeleton_end(const SkeletonEnd& end);
Bytes encode_have(const HaveBits& have);
Bytes encode_have_all();
Bytes encode_choke(bool choked);  // CHOKE or UNCHOKE
Bytes encode_error(const ErrorFrame& error);
// Headers only, for bodies sent as they are (a block is never copied into a frame).
Bytes encode_node_header(size_t block_bytes);
Bytes encode_leaf_header(uint64_t index, size_t block_bytes);

// Bodies. Errc::invalid_input when malformed, Errc::too_large over a limit.
Result<Cid> decode_open(BytesView body);  // 1.0.0: the CID alone
struct OpenRequest {
  Cid root;
  std::optional<TraceContext> trace;
};
Result<OpenRequest> decode_open_traced(BytesView body);  // 1.1.0: the context is optional
Result<std::vector<LeafRange>> decode_ranges(BytesView body, const XferLimits& limits);
Result<SkeletonEnd> decode_skeleton_end(BytesView body);
Result<HaveBits> decode_have(BytesView body);
Result<ErrorFrame> decode_error(BytesView body, const XferLimits& limits);

struct Frame {
  FrameType type = FrameType::open;
  uint64_t index = 0;  // LEAF: the leaf's index
  Bytes body;          // LEAF: the block only
};

class FrameReader {
 public:
  enum class Side { server, downloader };  // whose frames are read: the other side's
  FrameReader(Side reading_for, XferLimits limits) : side_(reading_for), limits_(limits) {}

  // Takes bytes from the front of `data` until a frame is complete (returned) or `data` is used
  // up (nullopt). Errc::protocol for a frame this side never receives, a bad header or a length
  // over its limit; after an error the reader must not be used again.
  Result<std::optional<Frame>> next(BytesView& data);
  size_t buffered_bytes() const { return header_.size() + frame_.body.size(); }

 private:
  Status check_header();
  Side side_;
  XferLimits limits_;
  Bytes header_;          // type, length (and a LEAF's index) while they arrive
  bool in_body_ = false;  // header complete; body_left_ bytes to go
  uint64_t body_left_ = 0;
  Frame frame_;
};

}  // namespace agora::xfer
