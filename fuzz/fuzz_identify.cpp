// decode_identify on arbitrary bytes: never crashes, and whatever decodes re-encodes to a message
// that decodes to the same thing (minus skipped addresses), re-encodes byte-identically, is no
// larger than the input, and merges into itself as a no-op.
#include <cstdio>
#include <cstdlib>

#include "proto/identify/identify.h"
#include "proto/identify/peer_record.h"

using namespace agora;

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) {                                                \
      std::fprintf(stderr, "fuzz_identify: failed: %s\n", #cond); \
      std::abort();                                               \
    }                                                             \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  auto first = identify::decode_identify(input);
  if (!first.ok()) return 0;
  CHECK(size <= identify::IdentifyLimits{}.message_bytes_max);

  identify::IdentifyInfo info = std::move(first).value();
  Bytes encoded = identify::encode_identify(info);
  CHECK(encoded.size() <= size);  // unknown fields and bad addresses dropped, nothing added

  auto second = identify::decode_identify(encoded);
  CHECK(second.ok());
  CHECK(second->skipped_addrs == 0);
  info.skipped_addrs = 0;
  CHECK(*second == info);
  CHECK(identify::encode_identify(*second) == encoded);

  identify::IdentifyInfo merged = *second;
  identify::merge_identify(merged, *second);
  CHECK(merged == *second);

  auto peer = identify::identify_peer_id(info);
  if (peer.ok()) CHECK(!peer->empty());
  if (info.signed_peer_record) {
    auto record = record::verify_signed_peer_record(*info.signed_peer_record);
    if (record.ok()) CHECK(!record->peer.empty());
  }
  return 0;
}
