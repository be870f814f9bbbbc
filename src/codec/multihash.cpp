#include "codec/multihash.h"

#include "codec/varint.h"
#include "crypto/sha256.h"

namespace agora {

namespace {
// Digests of other hash functions (sha2-512, blake2b...) are at most 64 bytes; anything longer
// than the largest inline key we accept is junk.
constexpr size_t kMhDigestBytesMax = kMhIdentityBytesMax;
}  // namespace

Bytes encode_multihash(const Multihash& mh) {
  Bytes out;
  out.reserve(uvarint_size(mh.code) + uvarint_size(mh.digest.size()) + mh.digest.size());
  put_uvarint(out, mh.code);
  put_uvarint(out, mh.digest.size());
  append(out, mh.digest);
  return out;
}

Result<Multihash> decode_multihash(BytesView in) {
  auto code = read_uvarint(in);
  if (!code.ok())
    return make_error(Errc::invalid_input, "multihash: bad code: " + code.error().message);
  auto len = read_uvarint(in.subspan(code->size));
  if (!len.ok())
    return make_error(Errc::invalid_input, "multihash: bad length: " + len.error().message);
  size_t header = code->size + len->size;
  if (len->value != in.size() - header) {
    return make_error(Errc::invalid_input,
                      "multihash: digest length " + std::to_string(len->value) + " but " +
                          std::to_string(in.size() - header) + " bytes follow");
  }
  if (len->value > kMhDigestBytesMax)
    return make_error(Errc::too_large,
                      "multihash: digest of " + std::to_string(len->value) + " bytes");
  if (code->value == kMhSha2_256 && len->value != 32)
    return make_error(Errc::invalid_input, "multihash: sha2-256 digest must be 32 bytes");
  BytesView digest = in.subspan(header);
  return Multihash{code->value, Bytes(digest.begin(), digest.end())};
}

Multihash multihash_sha2_256(BytesView data) {
  crypto::Sha256Digest d = crypto::sha256(data);
  return Multihash{kMhSha2_256, Bytes(d.begin(), d.end())};
}

Multihash multihash_identity(BytesView data) {
  return Multihash{kMhIdentity, Bytes(data.begin(), data.end())};
}

}  // namespace agora
