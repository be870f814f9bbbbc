// identity.key text format:
//
//   # agora identity key (Ed25519), keep secret
//   # peer id: 12D3KooW...
//   ed25519-libp2p-private-key: 08011240<hex of seed||public key>
//
// The value is the hex of the libp2p PrivateKey protobuf (Type=Ed25519, Data=seed||pub), the
// same bytes go-libp2p and js-libp2p store. Lines starting with '#' and blank lines are ignored.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/ed25519.h"

namespace agora::store {

std::string encode_identity_key_file(const crypto::Ed25519PrivateKey& key);
// Errors are "<source_name>:<line>: <what>".
Result<crypto::Ed25519PrivateKey> decode_identity_key_file(std::string_view text,
                                                           std::string_view source_name);

// libp2p PrivateKey protobuf: 08 01 12 40 <seed||pub>. Only Ed25519 is accepted.
Bytes encode_private_key_proto(const crypto::Ed25519PrivateKey& key);
Result<crypto::Ed25519PrivateKey> decode_private_key_proto(BytesView pb);

}  // namespace agora::store
