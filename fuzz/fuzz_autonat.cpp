// Fuzzes AutoNAT v1's messages (`/libp2p/autonat/1.0.0`) as a peer would send them: a DIAL or a
// DIAL_RESPONSE decodes within its limits or fails cleanly, and what decodes encodes again into
// the same request or response.
#include <cstdint>

#include "fuzz_input.h"
#include "proto/autonat/autonat.h"

using namespace agora;
using agora::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  autonat::AutonatLimits limits;
  auto message = autonat::decode(BytesView(data, size), limits);
  if (!message) return 0;
  check(message->dial.has_value() != message->response.has_value());
  if (message->dial) {
    check(message->dial->addrs.size() + message->dial->skipped_addrs <= limits.addrs_max);
    auto again = autonat::decode(autonat::encode_dial(*message->dial), limits);
    check(again.ok() && again->dial && again->dial->addrs == message->dial->addrs &&
          again->dial->peer_id == message->dial->peer_id);
  } else {
    check(message->response->status_text.size() <= limits.status_text_bytes_max);
    auto again = autonat::decode(autonat::encode_response(*message->response), limits);
    check(again.ok() && again->response && again->response->status == message->response->status &&
          again->response->addr == message->response->addr);
  }
  return 0;
}
