// MurmurHash3 x64 128-bit (Austin Appleby's public-domain algorithm), as the UnixFS HAMT uses it.
// js (@multiformats/murmur3 murmur3128) and go print the result as h1 then h2, each big-endian;
// the HAMT hashes names with the first 8 of those bytes (multicodec murmur3-x64-64, 0x22), i.e. h1.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"

namespace agora {

struct Murmur3x64_128 {
  uint64_t h1;
  uint64_t h2;
};

Murmur3x64_128 murmur3_x64_128(BytesView data, uint32_t seed = 0);
// h1 big-endian then h2 big-endian: the bytes js returns.
std::array<uint8_t, 16> murmur3_x64_128_bytes(BytesView data, uint32_t seed = 0);

}  // namespace agora
