// Multihash: `uvarint(code) uvarint(len) digest`; identity and sha2-256.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace agora {

inline constexpr uint64_t kMhIdentity = 0x00;
inline constexpr uint64_t kMhSha2_256 = 0x12;
inline constexpr size_t kMhIdentityBytesMax = 128;  // we never need longer inline keys

struct Multihash {
  uint64_t code;
  Bytes digest;
  bool operator==(const Multihash&) const = default;
};

Bytes encode_multihash(const Multihash& mh);
// Decodes one multihash occupying exactly `in`. Checks sha2-256 digest length is 32.
Result<Multihash> decode_multihash(BytesView in);
Multihash multihash_sha2_256(BytesView data);  // hashes `data` (via crypto/sha256)
Multihash multihash_identity(BytesView data);

}  // namespace agora
