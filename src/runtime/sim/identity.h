// Deterministic node identities: PeerIds built from seeded random bytes.
//
// A node's id is the identity multihash of an Ed25519 PublicKey protobuf whose 32 key bytes come
// from the seeded PRNG. The bytes are not a real curve point and no private key exists: kad only
// needs ids (and their SHA-256 keys) to be distinct and uniformly spread, which these are.
#pragma once

#include "codec/peer_id.h"
#include "runtime/sim/prng.h"

namespace agora::sim {

PeerId make_peer_id(Prng& rng);

// The address the simulator advertises for node `index`: /ip4/10.a.b.c/tcp/4001, unique per node
// for up to 2^24 nodes. Kad carries addresses; the simulator routes by PeerId.
Bytes make_node_addr(uint32_t index);

}  // namespace agora::sim
