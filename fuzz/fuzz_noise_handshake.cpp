// Fuzzes the Noise handshake core with deterministic keys. The first byte picks a mode:
//   0: arbitrary bytes to a responder (message 1, then message 3 framing and crypto),
//   1: arbitrary bytes to an initiator (message 2),
//   2: the input is the plaintext payload of a correctly encrypted message 3 from a scripted
//      initiator: exercises payload decoding and identity checks,
//   3: as 2, but the payload starts with a valid identity key and signature and the input is
//      appended as further protobuf fields: exercises extensions and muxer negotiation.
// Properties: no crash; bounded output; errors are sticky; a completed handshake has a peer.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "proto/noise/noise_handshake.h"
#include "proto/noise/noise_payload.h"

namespace {

using namespace agora;

crypto::X25519KeyPair fixed_x25519(uint8_t fill) {
  crypto::X25519Key k;
  k.fill(fill);
  return crypto::X25519KeyPair::from_private(k);
}

const crypto::Ed25519PrivateKey& identity() {
  static const auto key = crypto::Ed25519PrivateKey::from_seed(crypto::Ed25519Seed{7});
  return key;
}

noise::NoiseConfig config() {
  noise::NoiseConfig c;
  c.muxers = {"/yamux/1.0.0", "/mplex/6.7.0"};
  return c;
}

// The largest flight our side ever emits: message 2 with our payload (well under 1 KiB).
constexpr size_t kOutputBytesMax = 1024;

void check_output(noise::NoiseHandshake& hs) {
  Bytes out;
  hs.take_output(out);
  if (out.size() > kOutputBytesMax) std::abort();
}

// Feeds `data` in chunks whose sizes come from `sizes`; checks stickiness of errors.
void feed(noise::NoiseHandshake& hs, BytesView data, BytesView sizes) {
  size_t pos = 0, i = 0;
  while (pos < data.size()) {
    size_t n = sizes.empty() ? data.size() : size_t(sizes[i++ % sizes.size()]) + 1;
    n = std::min(n, data.size() - pos);
    Status st = hs.on_bytes(data.subspan(pos, n));
    pos += n;
    check_output(hs);
    if (!st) {
      Status again = hs.on_bytes(data.subspan(0, 1));
      if (again.ok() || again.error().code != st.error().code) std::abort();
      if (hs.done() || hs.finish().ok()) std::abort();
      return;
    }
  }
  if (hs.done()) {
    auto outcome = hs.finish();
    if (!outcome.ok() || outcome->remote_peer.empty() || !outcome->transport) std::abort();
    const auto ours = config().muxers;
    if (outcome->muxer && std::find(ours.begin(), ours.end(), *outcome->muxer) == ours.end()) {
      std::abort();
    }
  }
}

Bytes signed_prefix(const crypto::X25519Key& static_public) {
  static const auto id = crypto::Ed25519PrivateKey::from_seed(crypto::Ed25519Seed{9});
  noise::NoiseHandshakePayload p;
  p.identity_key =
      encode_public_key({KeyType::ed25519, Bytes(id.public_key().begin(), id.public_key().end())});
  Bytes msg = to_bytes("noise-libp2p-static-key:");
  append(msg, static_public);
  auto sig = id.sign(msg);
  p.identity_sig.assign(sig.begin(), sig.end());
  return noise::encode_noise_payload(p);
}

void scripted_message3(BytesView fuzz, bool signed_payload) {
  auto init_static = fixed_x25519(3);
  noise::XxHandshakeState initiator(true, init_static, {}, fixed_x25519(4));
  noise::NoiseHandshake resp(false, identity(), config(),
                             noise::NoiseKeys{fixed_x25519(1), fixed_x25519(2)});
  Bytes msg1(2);
  if (!initiator.write_message({}, msg1).ok()) std::abort();
  put_u16_be(msg1.data(), uint16_t(msg1.size() - 2));
  if (!resp.on_bytes(msg1).ok()) std::abort();
  Bytes msg2, ignored;
  resp.take_output(msg2);
  if (msg2.size() < 2 || !initiator.read_message(BytesView(msg2).subspan(2), ignored).ok()) {
    std::abort();
  }
  Bytes payload;
  if (signed_payload) payload = signed_prefix(init_static.public_key);
  append(payload, fuzz);
  Bytes msg3(2);
  if (!initiator.write_message(payload, msg3).ok()) std::abort();
  if (msg3.size() - 2 > noise::kNoiseMessageBytesMax) return;
  put_u16_be(msg3.data(), uint16_t(msg3.size() - 2));
  feed(resp, msg3, {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0] % 4;
  const size_t sizes_len = std::min<size_t>(data[1] % 8, size - 2);
  BytesView sizes(data + 2, sizes_len);
  BytesView rest(data + 2 + sizes_len, size - 2 - sizes_len);
  switch (mode) {
    case 0: {
      noise::NoiseHandshake resp(false, identity(), config(),
                                 noise::NoiseKeys{fixed_x25519(1), fixed_x25519(2)});
      feed(resp, rest, sizes);
      break;
    }
    case 1: {
      noise::NoiseHandshake init(true, identity(), config(),
                                 noise::NoiseKeys{fixed_x25519(5), fixed_x25519(6)});
      check_output(init);
      feed(init, rest, sizes);
      break;
    }
    default:
      scripted_message3(BytesView(data + 1, size - 1), mode == 3);
      break;
  }
  return 0;
}
