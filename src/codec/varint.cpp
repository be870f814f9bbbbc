#include "codec/varint.h"

namespace agora {

Result<Uvarint> read_uvarint(BytesView in) {
  uint64_t value = 0;
  for (size_t i = 0; i < kUvarintBytesMax; ++i) {
    if (i >= in.size()) return make_error(Errc::truncated, "uvarint: input ends inside varint");
    uint8_t b = in[i];
    value |= uint64_t(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      // A zero final group after the first byte means a shorter encoding existed.
      if (b == 0 && i > 0) return make_error(Errc::invalid_input, "uvarint: not minimal");
      return Uvarint{value, i + 1};
    }
  }
  return make_error(Errc::invalid_input, "uvarint: longer than 9 bytes");
}

void put_uvarint(Bytes& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(uint8_t(value | 0x80));
    value >>= 7;
  }
  out.push_back(uint8_t(value));
}

size_t uvarint_size(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

}  // namespace agora
