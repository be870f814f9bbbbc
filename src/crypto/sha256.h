// SHA-256, HMAC-SHA256 and HKDF-SHA256 on OpenSSL 3 libcrypto (EVP objects fetched once).
#pragma once

#include <array>

#include "base/bytes.h"

namespace agora::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(BytesView data);

// Incremental hashing for large inputs.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(BytesView data);
  Sha256Digest finish();  // resets for reuse

 private:
  void* ctx_;  // EVP_MD_CTX
};

Sha256Digest hmac_sha256(BytesView key, BytesView data);
// Noise's HKDF (RFC 5869 with HMAC-SHA256): two or three 32-byte outputs.
void hkdf_sha256(BytesView chaining_key, BytesView input_key_material, Sha256Digest& out1,
                 Sha256Digest& out2);
void hkdf_sha256(BytesView chaining_key, BytesView input_key_material, Sha256Digest& out1,
                 Sha256Digest& out2, Sha256Digest& out3);

}  // namespace agora::crypto
