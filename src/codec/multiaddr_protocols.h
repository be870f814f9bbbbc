// Internal: the multiaddr protocols agora knows, and their value codecs (text <-> binary).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "codec/multiaddr.h"

namespace agora::multiaddr_detail {

enum class ValueKind { none, ip4, ip6, port, name, peer_id };

struct ProtocolInfo {
  Proto proto;
  std::string_view name;
  ValueKind kind;
};

// nullptr when unknown. The name lookup also accepts the `ipfs` alias for p2p.
const ProtocolInfo* find_protocol(std::string_view name);
const ProtocolInfo* find_protocol(uint64_t code);

// Bytes of a fixed-size value, or 0 for length-prefixed (and value-less) kinds.
size_t fixed_value_bytes(ValueKind kind);
bool has_length_prefix(ValueKind kind);

// Text value -> binary. Errors name the protocol and the value.
Result<Bytes> value_from_text(const ProtocolInfo& info, std::string_view text);
// Checks a binary value read off the wire, so that it also has a text form that parses back.
Status check_binary_value(const ProtocolInfo& info, BytesView value);
std::string value_to_text(const ProtocolInfo& info, BytesView value);

}  // namespace agora::multiaddr_detail
