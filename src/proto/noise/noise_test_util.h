// Test helpers: drive two NoiseHandshakes back to back with a chosen chunking.
#pragma once

#include <functional>
#include <random>

#include "proto/noise/noise_handshake.h"

namespace agora::noise_test {

enum class Chunking { whole, byte_by_byte, random };

// A handshake's keys, drawn as the runtime draws them.
inline noise::NoiseKeys fresh_keys() {
  return {crypto::X25519KeyPair::generate(), crypto::X25519KeyPair::generate()};
}

// Feeds `bytes` to `to` in chunks; stops at the first error.
inline Status deliver(noise::NoiseHandshake& to, BytesView bytes, Chunking chunking,
                      std::mt19937& rng) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t n = bytes.size() - pos;
    if (chunking == Chunking::byte_by_byte) n = 1;
    if (chunking == Chunking::random) n = std::min(n, size_t(rng() % 40 + 1));
    AGORA_TRY(to.on_bytes(bytes.subspan(pos, n)));
    pos += n;
  }
  return {};
}

struct PumpResult {
  Status initiator;
  Status responder;
};

// Exchanges messages until both sides are done or one fails. `tamper` may edit each flight
// (index 0 = message 1, ...) before delivery.
inline PumpResult pump(noise::NoiseHandshake& init, noise::NoiseHandshake& resp, Chunking chunking,
                       std::mt19937& rng,
                       const std::function<void(int, Bytes&)>& tamper = nullptr) {
  PumpResult r;
  int flight = 0;
  for (int round = 0; round < 4 && !(init.done() && resp.done()); ++round) {
    Bytes out;
    init.take_output(out);
    if (!out.empty()) {
      if (tamper) tamper(flight, out);
      ++flight;
      r.responder = deliver(resp, out, chunking, rng);
      if (!r.responder) return r;
    }
    out.clear();
    resp.take_output(out);
    if (!out.empty()) {
      if (tamper) tamper(flight, out);
      ++flight;
      r.initiator = deliver(init, out, chunking, rng);
      if (!r.initiator) return r;
    }
  }
  return r;
}

}  // namespace agora::noise_test
