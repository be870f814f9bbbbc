// libp2p NoiseHandshakePayload (libp2p noise spec): the identity proof and extensions carried
// encrypted in handshake messages 2 and 3.
//   message NoiseExtensions { repeated bytes webtransport_certhashes = 1;
//                             repeated string stream_muxers = 2; }
//   message NoiseHandshakePayload { optional bytes identity_key = 1;
//                                   optional bytes identity_sig = 2;
//                                   optional NoiseExtensions extensions = 4; }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace agora::noise {

struct NoiseExtensions {
  std::vector<Bytes> webtransport_certhashes;
  std::vector<std::string> stream_muxers;
};

struct NoiseHandshakePayload {
  Bytes identity_key;  // PublicKey protobuf
  Bytes identity_sig;
  std::optional<NoiseExtensions> extensions;
};

// Bounds on what a remote payload may contain.
struct NoisePayloadLimits {
  size_t identity_key_bytes_max = 1024;  // RSA keys are the largest libp2p keys in practice
  size_t identity_sig_bytes_max = 1024;
  size_t stream_muxers_max = 16;
  size_t stream_muxer_bytes_max = 256;
  size_t certhashes_max = 16;
  size_t certhash_bytes_max = 256;
};

Bytes encode_noise_payload(const NoiseHandshakePayload& payload);
// Errc::invalid_input on malformed protobuf or duplicated singular fields, Errc::too_large
// when a limit is exceeded. Unknown fields (e.g. the retired field 3) are skipped.
Result<NoiseHandshakePayload> decode_noise_payload(BytesView bytes,
                                                   const NoisePayloadLimits& limits);

}  // namespace agora::noise
