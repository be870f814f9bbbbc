// Peer ids and PublicKey protobufs: every accepted form converts to the others and back.
#include <cstdlib>

#include "codec/multihash.h"
#include "codec/peer_id.h"

using namespace agora;

static void check(bool ok) {
  if (!ok) std::abort();
}

static void check_peer_id(const PeerId& id) {
  auto from_base58 = PeerId::parse(id.to_base58());
  check(from_base58.ok() && *from_base58 == id);
  auto from_cid = PeerId::parse(id.to_cid_string());
  check(from_cid.ok() && *from_cid == id);
  auto from_bytes = PeerId::from_bytes(id.bytes());
  check(from_bytes.ok() && *from_bytes == id);
  // An inline key re-derives the same id; a hashed id has no key to show.
  auto key = id.public_key();
  auto mh = decode_multihash(id.bytes());
  check(mh.ok());
  if (mh->code == kMhIdentity) {
    check(key.ok());
    check(PeerId::from_public_key(*key) == id);
  } else {
    check(!key.ok());
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView in(data, size);
  if (auto id = PeerId::from_bytes(in); id.ok()) {
    check(id->bytes() == Bytes(in.begin(), in.end()));
    check_peer_id(*id);
  }
  if (auto id = PeerId::parse(as_chars(in)); id.ok()) check_peer_id(*id);
  if (auto key = decode_public_key(in); key.ok()) {
    check(key->data.size() <= kPublicKeyDataBytesMax);
    Bytes pb = encode_public_key(*key);
    auto again = decode_public_key(pb);
    check(again.ok() && again->type == key->type && again->data == key->data);
    check(encode_public_key(*again) == pb);
    check_peer_id(PeerId::from_public_key(*key));
  }
  return 0;
}
