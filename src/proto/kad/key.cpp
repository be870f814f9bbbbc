#include "proto/kad/key.h"

#include <bit>
#include <cassert>
#include <memory>
#include <vector>

#include "crypto/sha256.h"

namespace agora::kad {

Key Key::from_bytes(BytesView raw) { return Key{crypto::sha256(raw)}; }

Distance distance(const Key& a, const Key& b) {
  Distance d;
  for (size_t i = 0; i < d.bytes.size(); ++i) d.bytes[i] = a.bytes[i] ^ b.bytes[i];
  return d;
}

int leading_zero_bits(const Distance& d) {
  for (size_t i = 0; i < d.bytes.size(); ++i) {
    if (d.bytes[i] != 0) return int(i) * 8 + std::countl_zero(d.bytes[i]);
  }
  return kKeyBits;
}

int common_prefix_length(const Key& a, const Key& b) { return leading_zero_bits(distance(a, b)); }

namespace {

// Candidate refresh key bytes: a sha2-256 shaped multihash holding the nonce.
Bytes candidate_bytes(uint32_t nonce) {
  Bytes b(34, 0);
  b[0] = 0x12;
  b[1] = 0x20;
  put_u32_be(b.data() + 2, nonce);
  return b;
}

uint16_t prefix16(const Key& key) { return uint16_t(key.bytes[0] << 8 | key.bytes[1]); }

// nonces[p]: a nonce whose candidate bytes hash to a key starting with the 16 bits p.
std::vector<uint32_t> build_prefix_table() {
  std::vector<uint32_t> nonces(1 << 16);
  std::vector<bool> found(1 << 16, false);
  size_t missing = nonces.size();
  for (uint32_t nonce = 0; missing > 0; ++nonce) {
    uint16_t p = prefix16(Key::from_bytes(candidate_bytes(nonce)));
    if (!found[p]) {
      found[p] = true;
      nonces[p] = nonce;
      --missing;
    }
  }
  return nonces;
}

const std::vector<uint32_t>& prefix_table() {
  static const std::vector<uint32_t> table = build_prefix_table();
  return table;
}

}  // namespace

Bytes key_bytes_with_cpl(const Key& self, int cpl, uint64_t random) {
  assert(cpl >= 0 && cpl < kRefreshCplLimit);
  const uint16_t own = prefix16(self);
  // Keep our first cpl bits, flip bit cpl, take the rest of the 16 bits from `random`.
  const uint16_t keep_mask = uint16_t(0xffff << (16 - cpl));
  const uint16_t flip_bit = uint16_t(0x8000 >> cpl);
  const uint16_t rest_mask = uint16_t(flip_bit - 1);
  const uint16_t prefix =
      uint16_t((own & keep_mask) | ((own ^ flip_bit) & flip_bit) | (uint16_t(random) & rest_mask));
  return candidate_bytes(prefix_table()[prefix]);
}

}  // namespace agora::kad
