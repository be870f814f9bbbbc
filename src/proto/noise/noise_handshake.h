// Sans-I/O libp2p Noise handshake (libp2p noise spec, Noise_XX_25519_ChaChaPoly_SHA256, empty
// prologue, u16 BE framing) with inlined muxer negotiation
// (connections/inlined-muxer-negotiation.md). Feed received bytes with on_bytes(), send what
// take_output() returns, and call finish() once done().
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codec/peer_id.h"
#include "crypto/ed25519.h"
#include "crypto/x25519.h"
#include "proto/noise/noise_transport.h"
#include "proto/noise/noise_xx_state.h"

namespace agora::noise {

struct NoiseConfig {
  std::vector<std::string> muxers;      // our stream_muxers extension; empty = send no extensions
  std::optional<PeerId> expected_peer;  // initiator: the peer we dialed, if known
  size_t handshake_payload_bytes_max = 8192;
  // Bounds on the remote's extensions.
  size_t stream_muxers_max = 16;
  size_t stream_muxer_bytes_max = 256;
  size_t certhashes_max = 16;
  size_t certhash_bytes_max = 256;
};

struct NoiseOutcome {
  PeerId remote_peer;
  PublicKeyProto remote_key;
  std::optional<std::string> muxer;  // set when inlined muxer negotiation succeeded
  std::unique_ptr<NoiseTransport> transport;
  Bytes leftover;  // bytes received after the last handshake message: already-encrypted data
};

// The Noise keys of one handshake, fresh for each and drawn by the runtime (tests and fuzzing fix
// them): the core draws no entropy of its own.
struct NoiseKeys {
  crypto::X25519KeyPair static_key;
  crypto::X25519KeyPair ephemeral;
};

class NoiseHandshake {
 public:
  NoiseHandshake(bool initiator, const crypto::Ed25519PrivateKey& identity, NoiseConfig config,
                 const NoiseKeys& keys);

  // Any chunking. Errors (sticky): Errc::crypto, Errc::protocol, Errc::peer_mismatch,
  // Errc::too_large, Errc::unsupported (identity key type we cannot verify).
  Status on_bytes(BytesView in);
  // Appends bytes to send (the initiator has message 1 ready right after construction).
  void take_output(Bytes& out);
  bool done() const { return done_; }
  // After done(); once.
  Result<NoiseOutcome> finish();

 private:
  Status process_message(BytesView message);
  Status write_message(BytesView payload);
  Status accept_remote_payload(BytesView payload_bytes);
  Status negotiate_muxer(const std::vector<std::string>& remote_muxers);
  size_t message_bytes_max() const;
  void complete();

  bool initiator_;
  NoiseConfig config_;
  noise::XxHandshakeState state_;
  Bytes local_payload_;  // encoded NoiseHandshakePayload for messages 2/3
  Bytes out_;
  Bytes in_;  // an incomplete frame waiting for more bytes
  std::optional<Error> failed_;
  bool done_ = false;
  bool finished_ = false;
  NoiseOutcome outcome_;
};

}  // namespace agora::noise
