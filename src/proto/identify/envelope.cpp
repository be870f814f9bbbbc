#include "proto/identify/envelope.h"

#include <cassert>

#include "codec/protobuf.h"
#include "codec/varint.h"

namespace agora::record {
namespace {

enum FieldNumber : uint32_t { kPublicKey = 1, kPayloadType = 2, kPayload = 3, kSignature = 5 };

constexpr size_t kEd25519KeyBytes = 32;
constexpr size_t kEd25519SignatureBytes = 64;

void put_lp_field(Bytes& out, BytesView b) {
  put_uvarint(out, b.size());
  append(out, b);
}

}  // namespace

Bytes envelope_signing_bytes(std::string_view domain, BytesView payload_type, BytesView payload) {
  Bytes out;
  out.reserve(domain.size() + payload_type.size() + payload.size() + 3 * kUvarintBytesMax);
  put_lp_field(out, as_bytes(domain));
  put_lp_field(out, payload_type);
  put_lp_field(out, payload);
  return out;
}

Bytes encode_envelope(const Envelope& envelope) {
  pb::Writer w;
  w.bytes(kPublicKey, encode_public_key(envelope.public_key));
  w.bytes(kPayloadType, envelope.payload_type);
  w.bytes(kPayload, envelope.payload);
  w.bytes(kSignature, envelope.signature);
  return w.take();
}

Result<Envelope> decode_envelope(BytesView bytes, const EnvelopeLimits& limits) {
  if (bytes.size() > limits.envelope_bytes_max)
    return make_error(Errc::too_large, "envelope: " + std::to_string(bytes.size()) +
                                           " bytes, over " +
                                           std::to_string(limits.envelope_bytes_max));
  Envelope env;
  bool have_key = false;
  bool have_signature = false;
  pb::Reader reader(bytes);
  while (!reader.done()) {
    AGORA_ASSIGN(pb::Field f, reader.next());
    if (f.number != kPublicKey && f.number != kPayloadType && f.number != kPayload &&
        f.number != kSignature)
      continue;  // unknown fields are outside the signature and carry nothing we use
    if (f.type != pb::kLen)
      return make_error(Errc::invalid_input,
                        "envelope: field " + std::to_string(f.number) + " is not length-delimited");
    switch (f.number) {
      case kPublicKey: {
        AGORA_ASSIGN(env.public_key, decode_public_key(f.bytes));
        have_key = true;
        break;
      }
      case kPayloadType:
        env.payload_type.assign(f.bytes.begin(), f.bytes.end());
        break;
      case kPayload:
        env.payload.assign(f.bytes.begin(), f.bytes.end());
        break;
      case kSignature:
        env.signature.assign(f.bytes.begin(), f.bytes.end());
        have_signature = true;
        break;
    }
  }
  if (!have_key) return make_error(Errc::invalid_input, "envelope: no public key");
  if (!have_signature) return make_error(Errc::invalid_input, "envelope: no signature");
  return env;
}

Bytes seal_envelope(const crypto::Ed25519PrivateKey& key, std::string_view domain,
                    BytesView payload_type, BytesView payload) {
  assert(!domain.empty() && !payload_type.empty());
  Envelope env;
  env.public_key.type = KeyType::ed25519;
  env.public_key.data.assign(key.public_key().begin(), key.public_key().end());
  env.payload_type.assign(payload_type.begin(), payload_type.end());
  env.payload.assign(payload.begin(), payload.end());
  crypto::Ed25519Signature sig = key.sign(envelope_signing_bytes(domain, payload_type, payload));
  env.signature.assign(sig.begin(), sig.end());
  return encode_envelope(env);
}

Result<Envelope> open_envelope(BytesView bytes, std::string_view domain,
                               BytesView expected_payload_type, const EnvelopeLimits& limits) {
  if (domain.empty()) return make_error(Errc::invalid_input, "envelope: empty domain");
  AGORA_ASSIGN(Envelope env, decode_envelope(bytes, limits));
  if (env.public_key.type != KeyType::ed25519)
    return make_error(Errc::unsupported, "envelope: key type " +
                                             std::to_string(int(env.public_key.type)) +
                                             " not supported (Ed25519 only)");
  if (env.public_key.data.size() != kEd25519KeyBytes)
    return make_error(Errc::invalid_input, "envelope: Ed25519 key is not 32 bytes");
  if (!std::equal(env.payload_type.begin(), env.payload_type.end(), expected_payload_type.begin(),
                  expected_payload_type.end()))
    return make_error(Errc::invalid_input, "envelope: payload type " + to_hex(env.payload_type) +
                                               ", expected " + to_hex(expected_payload_type));
  if (env.signature.size() != kEd25519SignatureBytes)
    return make_error(Errc::crypto, "envelope: signature is not 64 bytes");
  crypto::Ed25519PublicKey pub;
  std::copy(env.public_key.data.begin(), env.public_key.data.end(), pub.begin());
  if (!crypto::ed25519_verify(pub, envelope_signing_bytes(domain, env.payload_type, env.payload),
                              env.signature))
    return make_error(Errc::crypto,
                      "envelope: bad signature for domain '" + std::string(domain) + "'");
  return env;
}

}  // namespace agora::record
