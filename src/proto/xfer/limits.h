// /agora/xfer/1.0.0 (docs/xfer.md): every size, count and queue a peer controls, named. Both
// sides enforce them on what they receive; a breach is a protocol error that ends the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace agora::xfer {

inline constexpr std::string_view kProtocolId = "/agora/xfer/1.0.0";
// 1.0.0 with one change: OPEN may carry the downloader's trace context (docs/xfer.md).
inline constexpr std::string_view kProtocolIdTraced = "/agora/xfer/1.1.0";

struct XferLimits {
  size_t control_body_bytes_max = 64 * 1024;  // OPEN, WANT, CANCEL, HAVE, MISSING, ERROR, END
  size_t block_bytes_max = 4 * 1024 * 1024;   // a NODE or LEAF body (after its index)
  size_t ranges_per_frame_max = 1024;         // in one WANT, CANCEL or MISSING
  size_t leaves_in_flight_max = 1024;         // asked and not yet answered, per stream
  size_t skeleton_bytes_max = 64 << 20;       // NODE bodies of one file
  size_t skeleton_nodes_max = 65536;          // distinct interior nodes
  size_t skeleton_depth_max = 64;             // links from the root to a leaf
  uint64_t leaves_max = uint64_t(1) << 24;    // per file (16 M leaves: 16 TiB of 1 MiB leaves)
  size_t error_text_bytes_max = 1024;         // ERROR's message
};

}  // namespace agora::xfer
