// Ed25519 identity keys (RFC 8032, no pre-hash).
#pragma once

#include <array>

#include "base/bytes.h"

namespace agora::crypto {

using Ed25519Seed = std::array<uint8_t, 32>;
using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

class Ed25519PrivateKey {
 public:
  static Ed25519PrivateKey generate();
  static Ed25519PrivateKey from_seed(const Ed25519Seed& seed);
  // The libp2p private key protobuf `Data`: seed||pub (64 bytes) or legacy seed||pub||pub (96).
  // Checks that the embedded public key matches the seed.
  static Result<Ed25519PrivateKey> from_libp2p_bytes(BytesView data);

  ~Ed25519PrivateKey();  // wipes the seed
  Ed25519PrivateKey(const Ed25519PrivateKey&);
  Ed25519PrivateKey& operator=(const Ed25519PrivateKey&);

  const Ed25519PublicKey& public_key() const { return pub_; }
  const Ed25519Seed& seed() const { return seed_; }
  Bytes to_libp2p_bytes() const;  // seed||pub
  Ed25519Signature sign(BytesView message) const;

 private:
  Ed25519PrivateKey(const Ed25519Seed& seed);
  Ed25519Seed seed_{};
  Ed25519PublicKey pub_{};
  void* pkey_ = nullptr;  // EVP_PKEY, built once
};

bool ed25519_verify(const Ed25519PublicKey& key, BytesView message, BytesView signature);

}  // namespace agora::crypto
