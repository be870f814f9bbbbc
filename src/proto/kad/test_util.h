// Helpers shared by the kad tests: peers, instants, a pk record from a real Ed25519 key.
#pragma once

#include <ostream>
#include <string>

#include "codec/multihash.h"
#include "codec/peer_id.h"
#include "crypto/ed25519.h"
#include "proto/kad/kad.h"

namespace agora {
inline void PrintTo(const PeerId& peer, std::ostream* os) { *os << peer.to_string(); }
}  // namespace agora

namespace agora::kad::test {

inline uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A peer id with an Ed25519-shaped key made from `seed` (no private key: routing needs none).
inline PeerId peer(uint64_t seed) {
  uint64_t s = seed * 7919 + 1;
  Bytes key(32);
  for (size_t i = 0; i < 32; i += 8) put_u64_be(key.data() + i, splitmix(s));
  return PeerId::from_public_key({KeyType::ed25519, key});
}

inline PeerInfo info(const PeerId& id) {
  return PeerInfo{id, {Bytes{0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1}}};  // /ip4/127.0.0.1/tcp/4001
}

inline Instant at(Duration d) { return Instant{} + std::chrono::hours(1) + d; }
inline const Instant kT0 = at(Duration::zero());

// A real key pair's pk record: key "/pk/<id>", value the PublicKey protobuf.
struct PkRecord {
  PeerId id;
  Record record;
};
inline PkRecord pk_record(uint8_t seed) {
  crypto::Ed25519Seed s{};
  s.fill(seed);
  auto key = crypto::Ed25519PrivateKey::from_seed(s);
  PublicKeyProto pub{KeyType::ed25519, Bytes(key.public_key().begin(), key.public_key().end())};
  PeerId id = PeerId::from_public_key(pub);
  return {id, Record{pk_record_key(id), encode_public_key(pub), {}}};
}

// A sha2-256 multihash of `name`, as GET_PROVIDERS keys are.
inline Bytes content_key(const std::string& name) {
  return encode_multihash(multihash_sha2_256(as_bytes(name)));
}

template <class T>
std::vector<T> events_of(Kad& kad) {
  std::vector<T> out;
  while (auto e = kad.poll_event())
    if (auto* x = std::get_if<T>(&*e)) out.push_back(std::move(*x));
  return out;
}

}  // namespace agora::kad::test
