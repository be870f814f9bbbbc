// Identify (`/ipfs/id/1.0.0`) and identify push (`/ipfs/id/push/1.0.0`) messages.
// The message carries no signature of its own and is never hashed, so field order is free; the
// signed part, if any, is the peer record envelope in `signed_peer_record` (see peer_record.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "codec/multiaddr.h"
#include "codec/peer_id.h"

namespace agora::identify {

inline constexpr std::string_view kProtocolId = "/ipfs/id/1.0.0";
inline constexpr std::string_view kPushProtocolId = "/ipfs/id/push/1.0.0";

// Everything here is chosen by the remote peer. js-libp2p refuses identify messages over 8 KiB.
struct IdentifyLimits {
  size_t message_bytes_max = 8192;
  size_t protocols_max = 256;
  size_t protocol_bytes_max = 256;  // one protocol id
  size_t listen_addrs_max = 64;     // counted before parsing, skipped ones included
};

// An empty string, empty bytes, empty list or nullopt means "field absent": encode omits it and
// merge_identify leaves the old value alone (identify push sends partial updates).
struct IdentifyInfo {
  std::string protocol_version = "ipfs/0.1.0";
  std::string agent_version;
  Bytes public_key;  // PublicKey protobuf
  std::vector<Multiaddr> listen_addrs;
  std::vector<std::string> protocols;
  std::optional<Multiaddr> observed_addr;
  std::optional<Bytes> signed_peer_record;  // signed envelope bytes (peer_record.h)
  // Decode only: multiaddrs (listen or observed) we could not parse, e.g. protocols we do not
  // know such as /webrtc. They are dropped rather than failing the whole message.
  size_t skipped_addrs = 0;

  bool operator==(const IdentifyInfo&) const = default;
};

Bytes encode_identify(const IdentifyInfo& info);

// Errc::too_large when a limit is exceeded; Errc::invalid_input for malformed protobuf or a known
// field with the wrong wire type. Unknown fields are ignored. A field sent twice: the last wins.
Result<IdentifyInfo> decode_identify(BytesView bytes, const IdentifyLimits& limits = {});

// Applies an identify push (or a further message of a multi-message identify) to `base`: fields
// present in `push` replace those in `base`; repeated fields are replaced as a whole.
void merge_identify(IdentifyInfo& base, const IdentifyInfo& push);

// The peer id of the sender's public key; fails if the key is absent or does not parse.
Result<PeerId> identify_peer_id(const IdentifyInfo& info);

}  // namespace agora::identify
