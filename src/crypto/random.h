// Cryptographically secure random bytes (OpenSSL RAND_bytes).
#pragma once

#include "base/bytes.h"

namespace agora::crypto {

void random_bytes(uint8_t* out, size_t n);
Bytes random_bytes(size_t n);
uint64_t random_u64();

}  // namespace agora::crypto
