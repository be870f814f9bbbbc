// CID (multiformats/cid): content identifiers for blocks.
// CIDv0 is a bare sha2-256 multihash (dag-pb implied, text base58btc `Qm...`). CIDv1 is
// `uvarint(1) uvarint(codec) multihash`, text in any multibase (we print base32 `b...`).
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "codec/multibase.h"
#include "codec/multihash.h"

namespace agora {

inline constexpr uint64_t kCodecRaw = 0x55;
inline constexpr uint64_t kCodecDagPb = 0x70;
inline constexpr uint64_t kCodecDagCbor = 0x71;
inline constexpr uint64_t kCodecLibp2pKey = 0x72;
// Longest CID text we parse: base16 of version + codec + a 128-byte digest is under 300 chars.
inline constexpr size_t kCidTextCharsMax = 512;
// Longest binary CID: varints plus the longest digest decode_multihash accepts.
inline constexpr size_t kCidBytesMax = 160;

class Cid {
 public:
  Cid() = default;
  static Cid v0(Multihash sha256);  // caller guarantees sha2-256
  static Cid v1(uint64_t codec, Multihash hash);
  // Hashes `data` with sha2-256 and builds a CID of that version and codec (v0 needs dag-pb).
  static Cid of(BytesView data, uint64_t codec = kCodecRaw, int version = 1);

  // Binary form occupying exactly `in`: 34-byte CIDv0, or CIDv1. Rejects unknown versions,
  // CIDv0 that is not sha2-256, and trailing bytes.
  static Result<Cid> from_bytes(BytesView in);
  // Binary CID at the front of `in`; sets *consumed to its length.
  static Result<Cid> read_prefix(BytesView in, size_t* consumed);
  // `Qm...` CIDv0, or CIDv1 in any supported multibase. Errors name what is wrong.
  static Result<Cid> parse(std::string_view text);

  int version() const { return version_; }
  uint64_t codec() const { return codec_; }
  const Multihash& hash() const { return hash_; }
  bool empty() const { return version_ < 0; }

  const Bytes& bytes() const { return bytes_; }  // binary form
  std::string to_string() const;                 // v0: base58btc; v1: base32 lower
  std::string to_string(Base base) const;        // v1 only; v0 always prints base58btc
  // Same content, CIDv1 (a CIDv0 becomes dag-pb CIDv1). Block stores key by multihash.
  Cid to_v1() const;
  // True when sha2-256(data) is this CID's digest (identity CIDs: data equals the digest).
  bool matches(BytesView data) const;

  auto operator<=>(const Cid& o) const { return bytes_ <=> o.bytes_; }
  bool operator==(const Cid& o) const { return bytes_ == o.bytes_; }

 private:
  int version_ = -1;
  uint64_t codec_ = 0;
  Multihash hash_;
  Bytes bytes_;
};

const char* codec_name(uint64_t codec);  // "raw", "dag-pb", ... or "unknown"

// Bitswap 1.1+ block prefix: uvarint(version) uvarint(codec) uvarint(mh code) uvarint(mh len).
Bytes cid_prefix(const Cid& cid);
// Rebuilds the CID of `data` from a prefix; only sha2-256 (and identity) are accepted.
Result<Cid> cid_from_prefix(BytesView prefix, BytesView data);

struct CidHash {
  size_t operator()(const Cid& c) const {
    // The digest is already uniformly distributed; its first bytes make a good hash.
    const Bytes& d = c.hash().digest;
    size_t h = c.codec() * 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < d.size() && i < sizeof(size_t); ++i) h ^= size_t(d[i]) << (8 * i);
    return h;
  }
};

}  // namespace agora
