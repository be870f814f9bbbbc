// ChaCha20-Poly1305 (IETF) with the Noise nonce: 4 zero bytes || u64 little-endian counter.
// The key schedule is set up once per key and reused for every message.
#pragma once

#include <array>

#include "base/bytes.h"

namespace agora::crypto {

inline constexpr size_t kAeadTagBytes = 16;
using AeadKey = std::array<uint8_t, 32>;

class ChaChaPoly {
 public:
  explicit ChaChaPoly(const AeadKey& key);
  ~ChaChaPoly();
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;
  ChaChaPoly(ChaChaPoly&&) noexcept;
  ChaChaPoly& operator=(ChaChaPoly&&) noexcept;

  // Writes plaintext.size() + 16 bytes to `out` (which may not overlap `plaintext`).
  void seal(uint64_t nonce, BytesView ad, BytesView plaintext, uint8_t* out);
  // Writes ciphertext.size() - 16 bytes to `out` (which may equal ciphertext.data(): in place);
  // Errc::crypto when authentication fails, and `out` is then zeroed.
  Status open(uint64_t nonce, BytesView ad, BytesView ciphertext, uint8_t* out);

 private:
  void* enc_ = nullptr;  // EVP_CIPHER_CTX with the key installed
  void* dec_ = nullptr;
};

}  // namespace agora::crypto
