// Checks of the text forms the API takes, for a tool that wants to refuse bad input before it
// reaches a node: each returns the parser's own error (its kind and message).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "agora/result.h"

namespace agora {

Status validate_multiaddr(std::string_view text);
Status validate_peer_id(std::string_view text);
// Whom to ping or measure: a multiaddr (/ip4/...) or a peer id (12D3..., Qm...).
Status validate_peer_target(std::string_view text);
Status validate_cid(std::string_view text);
// <cid>[/path] or /ipfs/<cid>[/path]
Status validate_content_path(std::string_view text);
// A block codec the blockstore takes: raw or dag-pb.
Status validate_block_codec(std::string_view codec);
// Hex text (a DHT record's value_hex) to bytes.
Result<std::vector<uint8_t>> decode_hex(std::string_view hex);
// A UnixFS profile name (unixfs-v1-2025, unixfs-v0-2015).
Status validate_profile(std::string_view name);

}  // namespace agora
