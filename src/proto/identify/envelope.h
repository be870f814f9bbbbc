// Signed envelopes (libp2p RFC 0002): a payload signed together with a domain string and a
// payload type, so a signature made for one purpose cannot be replayed for another.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/bytes.h"
#include "codec/peer_id.h"
#include "crypto/ed25519.h"

namespace agora::record {

struct Envelope {
  PublicKeyProto public_key;
  Bytes payload_type;
  Bytes payload;
  Bytes signature;
};

struct EnvelopeLimits {
  size_t envelope_bytes_max = 8192;  // fits inside an identify message
};

// uvarint(len(domain)) || domain || uvarint(len(type)) || type || uvarint(len(payload)) || payload
Bytes envelope_signing_bytes(std::string_view domain, BytesView payload_type, BytesView payload);

// Protobuf fields 1 (public key), 2 (payload type), 3 (payload), 5 (signature), in that order.
Bytes encode_envelope(const Envelope& envelope);
// Structure only, no signature check. Needs a public key and a signature; unknown fields are
// ignored; the key may be of any type decode_public_key accepts.
Result<Envelope> decode_envelope(BytesView bytes, const EnvelopeLimits& limits = {});

// `domain` and `payload_type` must not be empty (our own callers pass constants).
Bytes seal_envelope(const crypto::Ed25519PrivateKey& key, std::string_view domain,
                    BytesView payload_type, BytesView payload);

// Decodes and checks the payload type and the signature. Only Ed25519 keys are supported
// (others: Errc::unsupported); a wrong payload type is Errc::invalid_input; a signature that does
// not verify for `domain` is Errc::crypto.
Result<Envelope> open_envelope(BytesView bytes, std::string_view domain,
                               BytesView expected_payload_type, const EnvelopeLimits& limits = {});

}  // namespace agora::record
