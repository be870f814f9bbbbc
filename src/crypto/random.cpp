#include "crypto/random.h"

#include <openssl/rand.h>

#include <climits>
#include <cstdlib>

namespace agora::crypto {

void random_bytes(uint8_t* out, size_t n) {
  while (n > 0) {
    int chunk = n > INT_MAX ? INT_MAX : int(n);
    // A failing CSPRNG leaves no safe way to continue (keys would be predictable).
    if (RAND_bytes(out, chunk) != 1) std::abort();
    out += chunk;
    n -= size_t(chunk);
  }
}

Bytes random_bytes(size_t n) {
  Bytes out(n);
  random_bytes(out.data(), n);
  return out;
}

uint64_t random_u64() {
  uint8_t b[8];
  random_bytes(b, sizeof b);
  uint64_t v = 0;
  for (uint8_t x : b) v = v << 8 | x;
  return v;
}

}  // namespace agora::crypto
