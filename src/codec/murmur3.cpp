#include "codec/murmur3.h"

namespace agora {

namespace {

constexpr uint64_t kC1 = 0x87c37b91114253d5ull;
constexpr uint64_t kC2 = 0x4cf5ad432745937full;

uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }

uint64_t load_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// The finalizer makes every input bit affect every output bit.
uint64_t fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

uint64_t mix_k1(uint64_t k1) { return rotl(k1 * kC1, 31) * kC2; }
uint64_t mix_k2(uint64_t k2) { return rotl(k2 * kC2, 33) * kC1; }

}  // namespace

Murmur3x64_128 murmur3_x64_128(BytesView data, uint32_t seed) {
  uint64_t h1 = seed, h2 = seed;
  size_t blocks = data.size() / 16;
  for (size_t i = 0; i < blocks; ++i) {
    const uint8_t* p = data.data() + 16 * i;
    h1 ^= mix_k1(load_u64_le(p));
    h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
    h2 ^= mix_k2(load_u64_le(p + 8));
    h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
  }
  // Tail: up to 15 bytes, little-endian, bytes 8.. into k2.
  const uint8_t* tail = data.data() + 16 * blocks;
  size_t rest = data.size() % 16;
  uint64_t k1 = 0, k2 = 0;
  for (size_t i = rest; i > 8; --i) k2 = k2 << 8 | tail[i - 1];
  for (size_t i = rest < 8 ? rest : 8; i > 0; --i) k1 = k1 << 8 | tail[i - 1];
  if (rest > 8) h2 ^= mix_k2(k2);
  if (rest > 0) h1 ^= mix_k1(k1);

  h1 ^= data.size();
  h2 ^= data.size();
  h1 += h2;
  h2 += h1;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 += h2;
  h2 += h1;
  return {h1, h2};
}

std::array<uint8_t, 16> murmur3_x64_128_bytes(BytesView data, uint32_t seed) {
  Murmur3x64_128 h = murmur3_x64_128(data, seed);
  std::array<uint8_t, 16> out;
  put_u64_be(out.data(), h.h1);
  put_u64_be(out.data() + 8, h.h2);
  return out;
}

}  // namespace agora
