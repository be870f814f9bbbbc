// Minimal protobuf wire codec. Hand-written on purpose: the libp2p messages are small, several
// need byte-exact canonical output (keys, dag-pb), and a reader that checks every length against
// the remaining input is easy to fuzz and to bound.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace agora::pb {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

// Appends fields in the order called; callers emit fields in tag order for canonical output.
class Writer {
 public:
  Writer() = default;
  // Appends to `buffer` (what it holds stays in front): lets a caller put a length prefix first
  // and reserve the exact size, so large payloads are copied once.
  explicit Writer(Bytes buffer) : out_(std::move(buffer)) {}
  void reserve(size_t bytes) { out_.reserve(bytes); }
  void varint(uint32_t field, uint64_t v);
  void bytes(uint32_t field, BytesView v);
  void string(uint32_t field, std::string_view v) { bytes(field, as_bytes(v)); }
  void fixed64(uint32_t field, uint64_t v);
  void fixed32(uint32_t field, uint32_t v);
  // The tag and length of an embedded message whose `body_bytes` the caller writes next, field
  // by field: no separate buffer for the embedded message.
  void embedded_header(uint32_t field, size_t body_bytes);
  const Bytes& data() const { return out_; }
  Bytes take() { return std::move(out_); }

 private:
  void tag(uint32_t field, WireType type);
  Bytes out_;
};

struct Field {
  uint32_t number;
  WireType type;
  uint64_t varint;  // for kVarint, kFixed64, kFixed32
  BytesView bytes;  // for kLen
};

// Iterates the fields of one message. Unknown fields are returned too; callers skip them.
class Reader {
 public:
  explicit Reader(BytesView in) : in_(in) {}
  bool done() const { return pos_ >= in_.size(); }
  // Errc::invalid_input on a malformed tag, length past the end, or a group wire type.
  Result<Field> next();

 private:
  BytesView in_;
  size_t pos_ = 0;
};

}  // namespace agora::pb
