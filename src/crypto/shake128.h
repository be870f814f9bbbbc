// SHAKE128 (FIPS 202 extendable-output hash) on OpenSSL 3, for the swarm key's fingerprint.
#pragma once

#include "base/bytes.h"

namespace agora::crypto {

// `out_bytes` bytes of SHAKE128(data).
Bytes shake128(BytesView data, size_t out_bytes);

}  // namespace agora::crypto
