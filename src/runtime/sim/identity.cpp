#include "runtime/sim/identity.h"

#include <cassert>

namespace agora::sim {

PeerId make_peer_id(Prng& rng) {
  PublicKeyProto key{KeyType::ed25519, Bytes(32)};
  for (size_t i = 0; i < 32; i += 8) put_u64_be(key.data.data() + i, rng.next_u64());
  return PeerId::from_public_key(key);
}

Bytes make_node_addr(uint32_t index) {
  assert(index < (1u << 24));
  // Binary multiaddr: 0x04 (ip4) + 4 address bytes, 0x06 (tcp) + 2 port bytes.
  Bytes addr = {0x04, 10, uint8_t(index >> 16), uint8_t(index >> 8), uint8_t(index), 0x06, 0, 0};
  put_u16_be(addr.data() + 6, 4001);
  return addr;
}

}  // namespace agora::sim
