// Signed envelopes and peer records on arbitrary bytes:
// - decode_envelope / decode_peer_record never crash; what decodes re-encodes stably;
// - open_envelope / verify_signed_peer_record never crash;
// - the input sealed as a payload with a fixed key opens to itself, and with one byte of the
//   sealed envelope flipped it either fails to open or opens to the very same content.
#include <cstdio>
#include <cstdlib>

#include "proto/identify/envelope.h"
#include "proto/identify/peer_record.h"

using namespace agora;

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) {                                                \
      std::fprintf(stderr, "fuzz_envelope: failed: %s\n", #cond); \
      std::abort();                                               \
    }                                                             \
  } while (0)

namespace {

constexpr std::string_view kDomain = "agora-fuzz";
const Bytes kType = {0x03, 0x01};

const crypto::Ed25519PrivateKey& fuzz_key() {
  static const crypto::Ed25519PrivateKey key = [] {
    crypto::Ed25519Seed seed;
    seed.fill(0x5a);
    return crypto::Ed25519PrivateKey::from_seed(seed);
  }();
  return key;
}

void check_envelope_round_trip(BytesView input) {
  auto env = record::decode_envelope(input);
  if (!env.ok()) return;
  Bytes encoded = record::encode_envelope(*env);
  auto again = record::decode_envelope(encoded);
  CHECK(again.ok());
  CHECK(record::encode_envelope(*again) == encoded);
  CHECK(again->payload == env->payload && again->payload_type == env->payload_type &&
        again->signature == env->signature);
}

void check_peer_record_round_trip(BytesView input) {
  auto rec = record::decode_peer_record(input);
  if (!rec.ok()) return;
  Bytes encoded = record::encode_peer_record(*rec);
  auto again = record::decode_peer_record(encoded);
  CHECK(again.ok());
  CHECK(again->skipped_addrs == 0);
  rec->skipped_addrs = 0;
  CHECK(*again == *rec);
  CHECK(record::encode_peer_record(*again) == encoded);
}

void check_seal_and_flip(BytesView input) {
  if (input.size() < 3) return;
  Bytes sealed = record::seal_envelope(fuzz_key(), kDomain, kType, input);
  auto opened = record::open_envelope(sealed, kDomain, kType, {1 << 20});
  CHECK(opened.ok());
  CHECK(opened->payload == Bytes(input.begin(), input.end()));

  size_t pos = (size_t(input[0]) << 8 | input[1]) % sealed.size();
  Bytes flipped = sealed;
  flipped[pos] ^= input[2] | 1;
  auto reopened = record::open_envelope(flipped, kDomain, kType, {1 << 20});
  if (!reopened.ok()) return;
  CHECK(reopened->payload == opened->payload);
  CHECK(reopened->payload_type == opened->payload_type);
  CHECK(reopened->public_key.data == opened->public_key.data);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  check_envelope_round_trip(input);
  check_peer_record_round_trip(input);
  (void)record::open_envelope(input, kDomain, kType);
  auto verified = record::verify_signed_peer_record(input);
  if (verified.ok()) CHECK(!verified->peer.empty());
  check_seal_and_flip(input);
  return 0;
}
