// Peer IDs (libp2p peer-ids spec): the multihash of a protobuf PublicKey.
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace agora {

enum class KeyType : uint8_t { rsa = 0, ed25519 = 1, secp256k1 = 2, ecdsa = 3 };

// An 8192-bit RSA key in PKIX DER is about 1.1 KB; anything larger is junk.
inline constexpr size_t kPublicKeyDataBytesMax = 2048;
// Longest peer id text we parse: CIDv1 base32 of a 42-byte inline key is about 80 characters.
inline constexpr size_t kPeerIdTextCharsMax = 128;

struct PublicKeyProto {
  KeyType type;
  Bytes data;  // Ed25519: the raw 32-byte key
};

// Deterministic PublicKey protobuf: `08 <type> 12 <len> <data>`.
Bytes encode_public_key(const PublicKeyProto& key);
// Rejects missing fields, unknown key types, duplicate or unknown fields, and oversize data.
Result<PublicKeyProto> decode_public_key(BytesView pb);

class PeerId {
 public:
  PeerId() = default;
  // Identity multihash when the PublicKey protobuf is <= 42 bytes, else sha2-256.
  static PeerId from_public_key(const PublicKeyProto& key);
  // Accepts an identity or sha2-256 multihash.
  static Result<PeerId> from_bytes(BytesView multihash);
  // Legacy base58btc (`12D3KooW...`, `Qm...`) or a multibase CIDv1 with the libp2p-key codec.
  static Result<PeerId> parse(std::string_view text);

  const Bytes& bytes() const { return mh_; }
  std::string to_base58() const;      // the form printed by default
  std::string to_cid_string() const;  // `bafz...` (base32 CIDv1, codec 0x72)
  std::string to_string() const { return to_base58(); }
  // The embedded public key when the id is an identity multihash.
  Result<PublicKeyProto> public_key() const;
  bool empty() const { return mh_.empty(); }

  auto operator<=>(const PeerId&) const = default;
  bool operator==(const PeerId&) const = default;

 private:
  explicit PeerId(Bytes mh) : mh_(std::move(mh)) {}
  Bytes mh_;
};

}  // namespace agora
