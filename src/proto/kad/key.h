// Kademlia keys and XOR distance (libp2p kad-dht: distance = XOR(sha256(a), sha256(b))).
#pragma once

#include <array>
#include <compare>
#include <cstdint>

#include "base/bytes.h"
#include "codec/peer_id.h"

namespace agora::kad {

inline constexpr int kKeyBits = 256;

// XOR of two keys, compared as a 256-bit big-endian number.
struct Distance {
  std::array<uint8_t, 32> bytes{};
  auto operator<=>(const Distance&) const = default;
  bool operator==(const Distance&) const = default;
};

// A point in the keyspace: sha256 of the raw key bytes (a peer id's multihash bytes, a record
// key, a content multihash).
struct Key {
  std::array<uint8_t, 32> bytes{};

  static Key from_bytes(BytesView raw);
  static Key of(const PeerId& peer) { return from_bytes(peer.bytes()); }

  auto operator<=>(const Key&) const = default;
  bool operator==(const Key&) const = default;
};

Distance distance(const Key& a, const Key& b);
// Number of leading bits a and b share: 0..256 (256 only when a == b).
int common_prefix_length(const Key& a, const Key& b);
// Leading zero bits of a distance; equals the common prefix length of the two keys.
int leading_zero_bits(const Distance& d);

// Refresh targets. Key bytes (a sha2-256 shaped multihash `12 20 <32 bytes>`, like a peer id)
// whose key shares exactly `cpl` leading bits with `self`, the bits after the first cpl+1 of the
// 16-bit prefix chosen by `random`. cpl must be < kRefreshCplLimit. Sha256 cannot be inverted, so
// the first call builds a process-wide table of one preimage per 16-bit key prefix (about 770,000
// sha256 calls, ~0.3 s, 256 KiB; immutable afterwards and safe to share between threads).
inline constexpr int kRefreshCplLimit = 16;
Bytes key_bytes_with_cpl(const Key& self, int cpl, uint64_t random);

}  // namespace agora::kad
