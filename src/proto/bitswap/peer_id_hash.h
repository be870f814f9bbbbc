// Hashing peer ids for the cores' per-peer maps.
#pragma once

#include <functional>
#include <string_view>

#include "codec/peer_id.h"

namespace agora::bitswap {

struct PeerIdHash {
  size_t operator()(const PeerId& peer) const {
    // Ids end in key material (identity) or a digest (sha2-256): hashing all bytes is cheap.
    return std::hash<std::string_view>{}(as_chars(peer.bytes()));
  }
};

}  // namespace agora::bitswap
