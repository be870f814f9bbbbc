// Noise CipherState and SymmetricState (Noise spec rev 34 §5.1-5.2) for
// Noise_*_25519_ChaChaPoly_SHA256. Internal to the noise library.
#pragma once

#include <optional>
#include <utility>

#include "base/bytes.h"
#include "crypto/chacha20poly1305.h"
#include "crypto/sha256.h"

namespace agora::noise {

// Nonce 2^64-1 is reserved by the spec: a cipher refuses to use it.
inline constexpr uint64_t kNonceMax = ~uint64_t(0);

class CipherState {
 public:
  CipherState() = default;
  explicit CipherState(const crypto::AeadKey& key) { initialize_key(key); }

  void initialize_key(const crypto::AeadKey& key);
  bool has_key() const { return aead_.has_value(); }
  uint64_t nonce() const { return n_; }

  // Appends the ciphertext (plaintext when there is no key yet). Errc::limit at nonce 2^64-1.
  Status encrypt_with_ad(BytesView ad, BytesView plaintext, Bytes& out);
  // Appends the plaintext. Errc::crypto when authentication fails.
  Status decrypt_with_ad(BytesView ad, BytesView ciphertext, Bytes& out);

  // Hands the keyed AEAD and the next nonce to a transport.
  std::pair<crypto::ChaChaPoly, uint64_t> take() &&;

 private:
  std::optional<crypto::ChaChaPoly> aead_;
  uint64_t n_ = 0;
};

class SymmetricState {
 public:
  // protocol_name longer than 32 bytes is hashed, shorter is zero padded (spec §5.2).
  explicit SymmetricState(std::string_view protocol_name);

  void mix_hash(BytesView data);
  void mix_key(BytesView input_key_material);
  Status encrypt_and_hash(BytesView plaintext, Bytes& out);
  Status decrypt_and_hash(BytesView ciphertext, Bytes& out);
  bool has_key() const { return cipher_.has_key(); }
  // (initiator -> responder, responder -> initiator).
  std::pair<CipherState, CipherState> split() const;
  const crypto::Sha256Digest& handshake_hash() const { return h_; }

 private:
  crypto::Sha256Digest ck_{};
  crypto::Sha256Digest h_{};
  CipherState cipher_;
};

}  // namespace agora::noise
