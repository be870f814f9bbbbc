#include "codec/protobuf.h"

#include "codec/varint.h"

namespace agora::pb {

void Writer::tag(uint32_t field, WireType type) { put_uvarint(out_, uint64_t(field) << 3 | type); }

void Writer::varint(uint32_t field, uint64_t v) {
  tag(field, kVarint);
  put_uvarint(out_, v);
}

void Writer::bytes(uint32_t field, BytesView v) {
  tag(field, kLen);
  put_uvarint(out_, v.size());
  append(out_, v);
}

void Writer::embedded_header(uint32_t field, size_t body_bytes) {
  tag(field, kLen);
  put_uvarint(out_, body_bytes);
}

void Writer::fixed64(uint32_t field, uint64_t v) {
  tag(field, kFixed64);
  for (int i = 0; i < 8; ++i) out_.push_back(uint8_t(v >> (8 * i)));
}

void Writer::fixed32(uint32_t field, uint32_t v) {
  tag(field, kFixed32);
  for (int i = 0; i < 4; ++i) out_.push_back(uint8_t(v >> (8 * i)));
}

// Protobuf varints may be non-minimal and up to 10 bytes; accept what conforming encoders emit.
static Result<Uvarint> read_pb_varint(BytesView in) {
  uint64_t v = 0;
  for (size_t i = 0; i < in.size() && i < 10; ++i) {
    // The tenth byte holds only bit 63; anything more would overflow 64 bits.
    if (i == 9 && in[i] > 1) break;
    v |= uint64_t(in[i] & 0x7f) << (7 * i);
    if (!(in[i] & 0x80)) return Uvarint{v, i + 1};
  }
  return make_error(Errc::invalid_input, "protobuf: bad varint");
}

Result<Field> Reader::next() {
  AGORA_ASSIGN(Uvarint key, read_pb_varint(in_.subspan(pos_)));
  pos_ += key.size;
  Field f{};
  f.number = uint32_t(key.value >> 3);
  f.type = WireType(key.value & 7);
  if (f.number == 0 || key.value >> 3 > 0x1fffffff)
    return make_error(Errc::invalid_input, "protobuf: bad field number");
  size_t left = in_.size() - pos_;
  switch (f.type) {
    case kVarint: {
      AGORA_ASSIGN(Uvarint v, read_pb_varint(in_.subspan(pos_)));
      pos_ += v.size;
      f.varint = v.value;
      return f;
    }
    case kFixed64:
    case kFixed32: {
      size_t n = f.type == kFixed64 ? 8 : 4;
      if (left < n) return make_error(Errc::invalid_input, "protobuf: truncated fixed field");
      for (size_t i = 0; i < n; ++i) f.varint |= uint64_t(in_[pos_ + i]) << (8 * i);
      pos_ += n;
      return f;
    }
    case kLen: {
      AGORA_ASSIGN(Uvarint len, read_pb_varint(in_.subspan(pos_)));
      pos_ += len.size;
      if (len.value > in_.size() - pos_)
        return make_error(Errc::invalid_input, "protobuf: length past end of message");
      f.bytes = in_.subspan(pos_, size_t(len.value));
      pos_ += size_t(len.value);
      return f;
    }
  }
  return make_error(Errc::invalid_input,
                    "protobuf: unsupported wire type " + std::to_string(int(f.type)));
}

}  // namespace agora::pb
