// X25519 Diffie-Hellman for Noise.
#pragma once

#include <array>

#include "base/bytes.h"

namespace agora::crypto {

using X25519Key = std::array<uint8_t, 32>;

struct X25519KeyPair {
  X25519Key private_key;
  X25519Key public_key;
  static X25519KeyPair generate();
  static X25519KeyPair from_private(const X25519Key& private_key);
};

// Errc::crypto if the result is all zeros (low-order point from the peer).
Result<X25519Key> x25519(const X25519Key& private_key, const X25519Key& peer_public);

}  // namespace agora::crypto
