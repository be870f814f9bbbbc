// Fuzzes private networks: swarm.key text (a key that decodes re-encodes and decodes to the same
// key; errors name the file) and the pnet protector fed any bytes in any chunking (the outcome,
// error or plaintext, never depends on the chunking; plaintext never outgrows the input).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_input.h"
#include "proto/pnet/pnet_protector.h"
#include "store/swarm_key.h"

namespace {

using agora::Bytes;
using agora::fuzz::check;

const agora::pnet::PreSharedKey kKey{};

// The protector's result for `input` cut into pieces of `chunk` bytes (0: whole).
std::pair<bool, Bytes> protect(agora::BytesView input, size_t chunk) {
  agora::pnet::PnetProtector p(kKey, agora::crypto::XSalsa20Nonce{});
  Bytes data(input.begin(), input.end()), plain;
  size_t step = chunk == 0 ? data.size() : chunk;
  for (size_t pos = 0; pos < data.size(); pos += step) {
    size_t n = std::min(step, data.size() - pos);
    auto r = p.on_bytes(std::span<uint8_t>(data.data() + pos, n));
    if (!r) return {false, plain};
    plain.insert(plain.end(), r->begin(), r->end());
  }
  return {true, plain};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    auto key = agora::store::decode_swarm_key_file(text, "swarm.key");
    if (!key.ok()) {
      check(key.error().message.starts_with("swarm.key:"));
      return 0;
    }
    auto again =
        agora::store::decode_swarm_key_file(agora::store::encode_swarm_key_file(*key), "k");
    check(again.ok() && *again == *key);
    return 0;
  }
  agora::BytesView input(data + 1, size - 1);
  auto whole = protect(input, 0);
  auto pieces = protect(input, 1 + data[0] % 31);
  check(whole.first == pieces.first);
  if (whole.first) check(whole.second == pieces.second);
  check(whole.second.size() <= input.size());
  return 0;
}
