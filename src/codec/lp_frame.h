// uvarint length-prefixed framing, as used for protobuf messages on libp2p streams.
#pragma once

#include <optional>

#include "base/bytes.h"

namespace agora {

void put_lp(Bytes& out, BytesView message);
Bytes lp_encode(BytesView message);

// Reassembles frames from arbitrary chunks. A frame longer than `frame_bytes_max` is an error
// (Errc::too_large) reported as soon as its length prefix is read, before buffering its body.
class LpReader {
 public:
  explicit LpReader(size_t frame_bytes_max) : max_(frame_bytes_max) {}
  void feed(BytesView chunk) { append(buf_, chunk); }
  // A complete frame, std::nullopt when more bytes are needed, or an error.
  Result<std::optional<Bytes>> next();
  // The same without copying the frame out: the view is valid until the next feed() or next*().
  Result<std::optional<BytesView>> next_view();
  size_t buffered() const { return buf_.size() - pos_; }
  // Bytes after the last complete frame, handed back when the stream changes protocol.
  Bytes take_rest();

 private:
  size_t max_;
  Bytes buf_;
  size_t pos_ = 0;
};

}  // namespace agora
