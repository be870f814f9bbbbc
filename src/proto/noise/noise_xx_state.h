// The Noise XX handshake state machine (Noise spec §5.3, pattern XX):
//   -> e
//   <- e, ee, s, es
//   -> s, se
// Works on whole Noise messages (no framing, no libp2p payload); keys can be fixed for test
// vectors. Internal to the noise library.
#pragma once

#include <optional>

#include "crypto/x25519.h"
#include "proto/noise/noise_symmetric_state.h"

namespace agora::noise {

inline constexpr std::string_view kNoiseXxProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";
inline constexpr size_t kDhBytes = 32;

class XxHandshakeState {
 public:
  // Both keys come from the caller (the runtime draws them; test vectors fix them): the core
  // draws no entropy of its own.
  XxHandshakeState(bool initiator, const crypto::X25519KeyPair& static_key, BytesView prologue,
                   const crypto::X25519KeyPair& ephemeral);

  // Index of the next message (0, 1, 2); 3 once the handshake is complete.
  int message_index() const { return index_; }
  bool complete() const { return index_ == 3; }
  // True when the next message is ours to write.
  bool our_turn() const { return !complete() && (index_ % 2 == 0) == initiator_; }

  // Appends the next handshake message carrying `payload` to `out`.
  Status write_message(BytesView payload, Bytes& out);
  // Consumes the peer's next handshake message; appends its payload to `payload_out`.
  // Errc::crypto on a failed decryption or a low-order key, Errc::protocol when too short.
  Status read_message(BytesView message, Bytes& payload_out);

  // The peer's static key; valid once it was received (initiator: after message 1,
  // responder: after message 2).
  const crypto::X25519Key& remote_static() const { return rs_; }
  const crypto::X25519Key& local_static_public() const { return s_.public_key; }
  const crypto::Sha256Digest& handshake_hash() const { return symmetric_.handshake_hash(); }
  // After complete(): (initiator -> responder, responder -> initiator).
  std::pair<CipherState, CipherState> split() const { return symmetric_.split(); }

 private:
  Status mix_dh(const crypto::X25519Key& private_key, const crypto::X25519Key& public_key);

  bool initiator_;
  int index_ = 0;
  SymmetricState symmetric_;
  crypto::X25519KeyPair s_;
  crypto::X25519KeyPair e_;
  crypto::X25519Key re_{};
  crypto::X25519Key rs_{};
};

}  // namespace agora::noise
