// Noise transport phase for libp2p: u16 big-endian length framing around ChaCha20-Poly1305
// messages with empty associated data. One per connection, created by NoiseHandshake.
#pragma once

#include <optional>

#include "base/bytes.h"
#include "crypto/chacha20poly1305.h"

namespace agora::noise {

inline constexpr size_t kNoiseFrameHeaderBytes = 2;
inline constexpr size_t kNoiseMessageBytesMax = 65535;  // the u16 length covers ciphertext + tag
inline constexpr size_t kNoisePlaintextBytesMax = kNoiseMessageBytesMax - crypto::kAeadTagBytes;
// Plaintext per frame we send: the largest multiple of 128 within 65519. OpenSSL's
// ChaCha20-Poly1305 runs ~30% faster on an even number of 64-byte blocks (measured here:
// 65408 B 3.7-4.0 GB/s, 65519 B 2.8-3.0 GB/s per core).
inline constexpr size_t kNoiseSendPlaintextBytes = kNoisePlaintextBytesMax / 128 * 128;

class NoiseTransport {
 public:
  // `send`/`recv` are keyed with the Split() keys; nonces start where the handshake left them.
  NoiseTransport(crypto::ChaChaPoly send, crypto::ChaChaPoly recv, uint64_t send_nonce = 0,
                 uint64_t recv_nonce = 0);

  // Appends framed ciphertext for `plaintext` (frames of kNoiseSendPlaintextBytes <= 65519
  // plaintext bytes, the last one shorter) to `out`.
  // Empty plaintext appends nothing. Once the send nonce reaches 2^64-1 (unreachable in practice)
  // nothing more is appended and send_exhausted() turns true: the caller must close.
  void encrypt(BytesView plaintext, Bytes& out);
  // Feeds ciphertext bytes in any chunking; appends decrypted plaintext to `plaintext_out`.
  // Errc::crypto when a frame fails authentication (or is shorter than its tag), Errc::limit when
  // the receive nonce is exhausted. Plaintext of frames before the failing one is still appended.
  // Errors are sticky: the connection must be closed.
  Status decrypt(BytesView ciphertext, Bytes& plaintext_out);

  bool send_exhausted() const { return send_exhausted_; }
  uint64_t send_nonce() const { return send_nonce_; }
  uint64_t recv_nonce() const { return recv_nonce_; }
  // Bytes of an incomplete frame held until the rest arrives (at most one frame).
  size_t buffered_bytes() const { return partial_.size(); }

 private:
  Status open_frame(BytesView message, uint8_t* out);
  Status fail(Error error);

  crypto::ChaChaPoly send_;
  crypto::ChaChaPoly recv_;
  uint64_t send_nonce_;
  uint64_t recv_nonce_;
  bool send_exhausted_ = false;
  Bytes partial_;  // header and body bytes of a frame that straddles decrypt() calls
  std::optional<Error> failed_;
};

}  // namespace agora::noise
