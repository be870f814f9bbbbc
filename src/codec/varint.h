// Unsigned varint (multiformats/unsigned-varint): LEB128, minimal encodings only, at most 9 bytes.
#pragma once

#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace agora {

inline constexpr size_t kUvarintBytesMax = 9;

struct Uvarint {
  uint64_t value;
  size_t size;  // bytes consumed
};

// Errc::truncated when `in` ends inside the varint (more bytes may complete it);
// Errc::invalid_input for a non-minimal encoding or more than 9 bytes.
Result<Uvarint> read_uvarint(BytesView in);
void put_uvarint(Bytes& out, uint64_t value);
size_t uvarint_size(uint64_t value);

}  // namespace agora
