// Peer records (libp2p RFC 0003): a peer's own, signed, sequenced list of addresses, carried in a
// signed envelope in identify and elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "codec/multiaddr.h"
#include "codec/peer_id.h"
#include "crypto/ed25519.h"

namespace agora::record {

inline constexpr std::string_view kPeerRecordDomain = "libp2p-peer-record";
// Two raw bytes (the multicodec 0x0301 written big-endian), not its uvarint form; as go and js.
inline constexpr uint8_t kPeerRecordPayloadType[2] = {0x03, 0x01};

struct PeerRecordLimits {
  size_t envelope_bytes_max = 8192;
  size_t addrs_max = 64;  // counted before parsing, skipped ones included
};

struct PeerRecord {
  PeerId peer;
  uint64_t seq = 0;  // larger replaces smaller; go and js use a wall-clock based counter
  std::vector<Multiaddr> addrs;
  // Decode only: addresses we could not parse (unknown protocols); dropped, not fatal.
  size_t skipped_addrs = 0;

  bool operator==(const PeerRecord&) const = default;
};

// Fields peer_id = 1, seq = 2 (omitted when 0, as proto3 does), addresses = 3 {multiaddr = 1}.
Bytes encode_peer_record(const PeerRecord& record);
Result<PeerRecord> decode_peer_record(BytesView bytes, const PeerRecordLimits& limits = {});

// The envelope for `addrs` signed by `key`, with the peer id derived from `key`.
Bytes make_signed_peer_record(const crypto::Ed25519PrivateKey& key, uint64_t seq,
                              const std::vector<Multiaddr>& addrs);

// Opens the envelope (domain and payload type of peer records), decodes the record and checks that
// its peer id is the envelope key's (else Errc::peer_mismatch).
Result<PeerRecord> verify_signed_peer_record(BytesView envelope_bytes,
                                             const PeerRecordLimits& limits = {});

}  // namespace agora::record
