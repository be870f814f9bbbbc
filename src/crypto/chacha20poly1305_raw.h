// Internal: ChaCha20-Poly1305 with a caller-chosen 96-bit nonce, for RFC 8439 test vectors.
// Production code uses ChaChaPoly (Noise nonce layout, cached key schedule).
#pragma once

#include "crypto/chacha20poly1305.h"

namespace agora::crypto::detail {

inline constexpr size_t kAeadNonceBytes = 12;

void chacha20poly1305_seal_raw(const AeadKey& key, const uint8_t (&nonce)[kAeadNonceBytes],
                               BytesView ad, BytesView plaintext, uint8_t* out);
Status chacha20poly1305_open_raw(const AeadKey& key, const uint8_t (&nonce)[kAeadNonceBytes],
                                 BytesView ad, BytesView ciphertext, uint8_t* out);

}  // namespace agora::crypto::detail
