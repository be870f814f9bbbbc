#include "codec/cid.h"

#include <algorithm>

#include "codec/varint.h"

namespace agora {

namespace {

constexpr size_t kCidV0Bytes = 34;  // 0x12 0x20 + 32-byte digest

Error cid_error(Errc code, std::string message) {
  return make_error(code, "cid: " + std::move(message));
}

Bytes v1_bytes(uint64_t codec, const Multihash& hash) {
  Bytes out;
  put_uvarint(out, 1);
  put_uvarint(out, codec);
  append(out, encode_multihash(hash));
  return out;
}

// Length of the multihash at the front of `in` (header + digest), or an error.
Result<size_t> multihash_length(BytesView in) {
  auto code = read_uvarint(in);
  if (!code.ok()) return cid_error(Errc::invalid_input, "bad multihash code");
  auto len = read_uvarint(in.subspan(code->size));
  if (!len.ok()) return cid_error(Errc::invalid_input, "bad multihash length");
  size_t header = code->size + len->size;
  if (len->value > in.size() - header)
    return cid_error(Errc::truncated, "multihash runs past the end");
  return header + size_t(len->value);
}

}  // namespace

Cid Cid::v0(Multihash sha256) {
  Cid c;
  c.version_ = 0;
  c.codec_ = kCodecDagPb;
  c.bytes_ = encode_multihash(sha256);
  c.hash_ = std::move(sha256);
  return c;
}

Cid Cid::v1(uint64_t codec, Multihash hash) {
  Cid c;
  c.version_ = 1;
  c.codec_ = codec;
  c.bytes_ = v1_bytes(codec, hash);
  c.hash_ = std::move(hash);
  return c;
}

Cid Cid::of(BytesView data, uint64_t codec, int version) {
  Multihash mh = multihash_sha2_256(data);
  if (version == 0 && codec == kCodecDagPb) return v0(std::move(mh));
  return v1(codec, std::move(mh));
}

Result<Cid> Cid::read_prefix(BytesView in, size_t* consumed) {
  if (in.size() >= 2 && in[0] == 0x12 && in[1] == 0x20) {
    if (in.size() < kCidV0Bytes) return cid_error(Errc::truncated, "CIDv0 shorter than 34 bytes");
    AGORA_ASSIGN(Multihash mh, decode_multihash(in.first(kCidV0Bytes)));
    *consumed = kCidV0Bytes;
    return v0(std::move(mh));
  }
  auto version = read_uvarint(in);
  if (!version.ok()) return cid_error(Errc::invalid_input, "bad version varint");
  if (version->value != 1)
    return cid_error(Errc::unsupported, "unknown CID version " + std::to_string(version->value));
  auto codec = read_uvarint(in.subspan(version->size));
  if (!codec.ok()) return cid_error(Errc::invalid_input, "bad codec varint");
  size_t header = version->size + codec->size;
  AGORA_ASSIGN(size_t mh_len, multihash_length(in.subspan(header)));
  AGORA_ASSIGN(Multihash mh, decode_multihash(in.subspan(header, mh_len)));
  *consumed = header + mh_len;
  return v1(codec->value, std::move(mh));
}

Result<Cid> Cid::from_bytes(BytesView in) {
  if (in.size() > kCidBytesMax) return cid_error(Errc::too_large, "binary CID over 160 bytes");
  size_t consumed = 0;
  AGORA_ASSIGN(Cid c, read_prefix(in, &consumed));
  if (consumed != in.size()) return cid_error(Errc::invalid_input, "trailing bytes after the CID");
  return c;
}

Result<Cid> Cid::parse(std::string_view text) {
  if (text.empty()) return cid_error(Errc::invalid_input, "empty");
  if (text.size() > kCidTextCharsMax) return cid_error(Errc::too_large, "text over 512 characters");
  if (text.size() == 46 && text.substr(0, 2) == "Qm") {
    auto raw = base58btc_decode(text);
    if (!raw.ok())
      return cid_error(Errc::invalid_input, "bad base58 in CIDv0 '" + std::string(text) + "'");
    return from_bytes(*raw);
  }
  auto raw = multibase_decode(text);
  if (!raw.ok())
    return cid_error(Errc::invalid_input,
                     "'" + std::string(text) + "' is not a CID (" + raw.error().message + ")");
  auto c = from_bytes(*raw);
  if (!c.ok()) return c;
  if (c->version() == 0)
    return cid_error(Errc::invalid_input, "CIDv0 must be written in base58btc");
  return c;
}

std::string Cid::to_string() const {
  if (version_ == 0) return base58btc_encode(bytes_);
  return multibase_encode(Base::base32, bytes_);
}

std::string Cid::to_string(Base base) const {
  if (version_ == 0) return base58btc_encode(bytes_);
  return multibase_encode(base, bytes_);
}

Cid Cid::to_v1() const { return version_ == 0 ? v1(kCodecDagPb, hash_) : *this; }

bool Cid::matches(BytesView data) const {
  if (hash_.code == kMhIdentity)
    return BytesView(hash_.digest).size() == data.size() &&
           std::equal(data.begin(), data.end(), hash_.digest.begin());
  if (hash_.code != kMhSha2_256) return false;
  return multihash_sha2_256(data).digest == hash_.digest;
}

const char* codec_name(uint64_t codec) {
  switch (codec) {
    case kCodecRaw:
      return "raw";
    case kCodecDagPb:
      return "dag-pb";
    case kCodecDagCbor:
      return "dag-cbor";
    case kCodecLibp2pKey:
      return "libp2p-key";
    default:
      return "unknown";
  }
}

Bytes cid_prefix(const Cid& cid) {
  Bytes out;
  put_uvarint(out, uint64_t(cid.version()));
  put_uvarint(out, cid.codec());
  put_uvarint(out, cid.hash().code);
  put_uvarint(out, cid.hash().digest.size());
  return out;
}

Result<Cid> cid_from_prefix(BytesView prefix, BytesView data) {
  uint64_t fields[4];
  size_t pos = 0;
  for (uint64_t& f : fields) {
    auto v = read_uvarint(prefix.subspan(pos));
    if (!v.ok()) return cid_error(Errc::invalid_input, "bad block prefix");
    f = v->value;
    pos += v->size;
  }
  if (pos != prefix.size()) return cid_error(Errc::invalid_input, "trailing bytes in block prefix");
  auto [version, codec, mh_code, mh_len] = fields;
  if (mh_code == kMhSha2_256) {
    if (mh_len != 32)
      return cid_error(Errc::invalid_input,
                       "sha2-256 prefix with length " + std::to_string(mh_len));
    Multihash mh = multihash_sha2_256(data);
    if (version == 0) {
      if (codec != kCodecDagPb)
        return cid_error(Errc::invalid_input, "CIDv0 prefix with a codec other than dag-pb");
      return Cid::v0(std::move(mh));
    }
    if (version == 1) return Cid::v1(codec, std::move(mh));
    return cid_error(Errc::unsupported, "unknown CID version " + std::to_string(version));
  }
  if (mh_code == kMhIdentity && version == 1 && data.size() == mh_len &&
      mh_len <= kMhIdentityBytesMax)
    return Cid::v1(codec, multihash_identity(data));
  return cid_error(Errc::unsupported, "block prefix with multihash code " +
                                          std::to_string(mh_code) + " not supported");
}

}  // namespace agora
