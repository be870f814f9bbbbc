// Fuzzes NoiseTransport::decrypt. Mode (first byte, low bit):
//   0: arbitrary ciphertext in input-chosen chunks. Plaintext never exceeds the ciphertext fed,
//      nothing is produced without a valid tag, errors are sticky.
//   1: round trip: the input is split into messages, encrypted, fed back in input-chosen chunks
//      and must decrypt exactly; then one input-chosen bit is flipped and a fresh receiver must
//      yield only a strict frame-aligned prefix of the plaintext (or an error).
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "proto/noise/noise_transport.h"

namespace {

using namespace agora;

crypto::AeadKey key(uint8_t fill) {
  crypto::AeadKey k;
  k.fill(fill);
  return k;
}

noise::NoiseTransport receiver() {
  return noise::NoiseTransport(crypto::ChaChaPoly(key(1)), crypto::ChaChaPoly(key(2)));
}
noise::NoiseTransport sender() {
  return noise::NoiseTransport(crypto::ChaChaPoly(key(2)), crypto::ChaChaPoly(key(1)));
}

// Returns the first error, feeding `wire` in chunks sized by `sizes` (scaled up to reach frames).
Status feed(noise::NoiseTransport& t, BytesView wire, BytesView sizes, Bytes& plain) {
  size_t pos = 0, i = 0;
  while (pos < wire.size()) {
    size_t n = sizes.empty() ? wire.size() : size_t(sizes[i++ % sizes.size()]) * 97 + 1;
    n = std::min(n, wire.size() - pos);
    Status st = t.decrypt(wire.subspan(pos, n), plain);
    pos += n;
    if (plain.size() > pos) std::abort();  // each frame's plaintext is shorter than its bytes
    if (!st) {
      Bytes more;
      if (t.decrypt(wire.subspan(0, std::min<size_t>(wire.size(), 1)), more).ok()) std::abort();
      if (!more.empty()) std::abort();
      return st;
    }
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const size_t sizes_len = std::min<size_t>(data[1] % 8, size - 2);
  BytesView sizes(data + 2, sizes_len);
  BytesView rest(data + 2 + sizes_len, size - 2 - sizes_len);

  if ((data[0] & 1) == 0) {
    noise::NoiseTransport t = receiver();
    Bytes plain;
    (void)feed(t, rest, sizes, plain);
    // Random bytes cannot carry a valid Poly1305 tag under this key in practice; any plaintext
    // would mean unauthenticated data was released.
    if (!plain.empty()) std::abort();
    return 0;
  }

  // Messages: each is `len byte || len bytes` (len scaled so that large frames occur).
  noise::NoiseTransport tx = sender();
  Bytes wire, expected;
  std::vector<size_t> frame_ends;  // plaintext offsets at frame boundaries
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t len = std::min<size_t>(size_t(rest[pos]) * 600, rest.size() - pos - 1);
    ++pos;
    // Reuse input bytes cyclically to build long plaintexts from short inputs.
    Bytes msg(len);
    for (size_t i = 0; i < len; ++i) msg[i] = rest[(pos + i) % rest.size()];
    pos += std::min(len, rest.size() - pos);
    tx.encrypt(msg, wire);
    for (size_t off = 0; off < len; off += noise::kNoiseSendPlaintextBytes) {
      frame_ends.push_back(expected.size() + std::min(len, off + noise::kNoiseSendPlaintextBytes));
    }
    append(expected, msg);
  }
  noise::NoiseTransport rx = receiver();
  Bytes plain;
  if (!feed(rx, wire, sizes, plain).ok() || plain != expected || rx.buffered_bytes() != 0) {
    std::abort();
  }
  if (wire.empty()) return 0;

  const size_t bit = (size_t(data[0] >> 1) * 7919 + size) % (wire.size() * 8);
  wire[bit / 8] ^= uint8_t(1u << (bit % 8));
  noise::NoiseTransport rx2 = receiver();
  Bytes plain2;
  (void)feed(rx2, wire, sizes, plain2);
  if (plain2.size() >= expected.size() && !expected.empty()) std::abort();
  if (!plain2.empty() && std::memcmp(plain2.data(), expected.data(), plain2.size()) != 0) {
    std::abort();
  }
  bool aligned = plain2.empty();
  for (size_t end : frame_ends) aligned = aligned || end == plain2.size();
  if (!aligned) std::abort();
  return 0;
}
