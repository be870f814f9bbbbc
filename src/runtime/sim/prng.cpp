#include "runtime/sim/prng.h"

#include <cassert>
#include <cmath>

namespace agora::sim {
namespace {

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t mix64(uint64_t value) { return splitmix64(value); }

Prng::Prng(uint64_t seed) : seed_(seed) {
  uint64_t state = seed;
  for (auto& word : s_) word = splitmix64(state);
  // splitmix64 never yields four zero words in a row, so the state is valid.
  assert((s_[0] | s_[1] | s_[2] | s_[3]) != 0);
}

uint64_t Prng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Prng::uniform_u64(uint64_t bound) {
  if (bound == 0) return 0;
  // Lemire: multiply into 128 bits, reject the few low products that would bias the result.
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * bound;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * bound;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

double Prng::uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Prng::uniform01_open_low() {
  return static_cast<double>((next_u64() >> 11) + 1) * 0x1.0p-53;
}

bool Prng::bernoulli(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return uniform01() < p;
}

double Prng::exponential(double mean) {
  assert(mean >= 0);
  return -mean * std::log(uniform01_open_low());
}

double Prng::weibull(double shape, double scale) {
  assert(shape > 0 && scale >= 0);
  return scale * std::pow(-std::log(uniform01_open_low()), 1.0 / shape);
}

Prng Prng::fork(uint64_t stream) const { return Prng(mix64(seed_ ^ mix64(stream + 1))); }

double weibull_scale_for_median(double shape, double median) {
  assert(shape > 0);
  return median / std::pow(std::log(2.0), 1.0 / shape);
}

}  // namespace agora::sim
