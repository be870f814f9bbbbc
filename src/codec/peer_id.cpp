#include "codec/peer_id.h"

#include <optional>

#include "codec/multibase.h"
#include "codec/multihash.h"
#include "codec/protobuf.h"
#include "codec/varint.h"

namespace agora {

namespace {
constexpr size_t kInlineKeyBytesMax = 42;  // spec: larger keys are hashed
constexpr uint64_t kCidVersion1 = 1;
constexpr uint64_t kCodecLibp2pKey = 0x72;

Error bad_key(std::string what) { return make_error(Errc::invalid_input, "public key: " + what); }
}  // namespace

Bytes encode_public_key(const PublicKeyProto& key) {
  pb::Writer w;
  w.varint(1, uint64_t(key.type));
  w.bytes(2, key.data);
  return w.take();
}

Result<PublicKeyProto> decode_public_key(BytesView bytes) {
  pb::Reader r(bytes);
  std::optional<uint64_t> type;
  std::optional<BytesView> data;
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == 1 && f.type == pb::kVarint) {
      if (type) return bad_key("duplicate Type");
      type = f.varint;
    } else if (f.number == 2 && f.type == pb::kLen) {
      if (data) return bad_key("duplicate Data");
      data = f.bytes;
    } else {
      return bad_key("unexpected field " + std::to_string(f.number));
    }
  }
  if (!type || !data) return bad_key("missing Type or Data");
  if (*type > uint64_t(KeyType::ecdsa))
    return make_error(Errc::unsupported, "public key: unknown key type " + std::to_string(*type));
  if (data->size() > kPublicKeyDataBytesMax)
    return make_error(Errc::too_large,
                      "public key: data of " + std::to_string(data->size()) + " bytes");
  auto key_type = KeyType(*type);
  if (key_type == KeyType::ed25519 && data->size() != 32)
    return bad_key("ed25519 key must be 32 bytes");
  return PublicKeyProto{key_type, Bytes(data->begin(), data->end())};
}

PeerId PeerId::from_public_key(const PublicKeyProto& key) {
  Bytes pb = encode_public_key(key);
  Multihash mh = pb.size() <= kInlineKeyBytesMax ? multihash_identity(pb) : multihash_sha2_256(pb);
  return PeerId(encode_multihash(mh));
}

Result<PeerId> PeerId::from_bytes(BytesView multihash) {
  AGORA_ASSIGN(Multihash mh, decode_multihash(multihash));
  if (mh.code == kMhIdentity) {
    if (mh.digest.size() > kInlineKeyBytesMax)
      return make_error(Errc::invalid_input, "peer id: inline key longer than 42 bytes");
    // The inline key must be the deterministic encoding, or the id would not match its key.
    AGORA_ASSIGN(PublicKeyProto key, decode_public_key(mh.digest));
    if (encode_public_key(key) != mh.digest)
      return make_error(Errc::invalid_input, "peer id: inline key not deterministically encoded");
  } else if (mh.code != kMhSha2_256) {
    return make_error(Errc::unsupported, "peer id: multihash code " + std::to_string(mh.code));
  }
  return PeerId(Bytes(multihash.begin(), multihash.end()));
}

Result<PeerId> PeerId::parse(std::string_view text) {
  if (text.size() > kPeerIdTextCharsMax)
    return make_error(Errc::too_large,
                      "peer id: text of " + std::to_string(text.size()) + " chars");
  if (text.starts_with('1') || text.starts_with("Qm")) {
    AGORA_ASSIGN(Bytes mh, base58btc_decode(text));
    return from_bytes(mh);
  }
  AGORA_ASSIGN(Bytes cid, multibase_decode(text));
  auto version = read_uvarint(cid);
  if (!version.ok() || version->value != kCidVersion1)
    return make_error(Errc::invalid_input, "peer id: not a CIDv1");
  BytesView rest = BytesView(cid).subspan(version->size);
  auto codec = read_uvarint(rest);
  if (!codec.ok() || codec->value != kCodecLibp2pKey)
    return make_error(Errc::invalid_input, "peer id: CID codec is not libp2p-key");
  return from_bytes(rest.subspan(codec->size));
}

std::string PeerId::to_base58() const { return base58btc_encode(mh_); }

std::string PeerId::to_cid_string() const {
  Bytes cid;
  put_uvarint(cid, kCidVersion1);
  put_uvarint(cid, kCodecLibp2pKey);
  append(cid, mh_);
  return multibase_encode(Base::base32, cid);
}

Result<PublicKeyProto> PeerId::public_key() const {
  AGORA_ASSIGN(Multihash mh, decode_multihash(mh_));
  if (mh.code != kMhIdentity)
    return make_error(Errc::unsupported, "peer id: key is hashed, not embedded");
  return decode_public_key(mh.digest);
}

}  // namespace agora
