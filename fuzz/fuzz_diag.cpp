// Fuzzes /agora/diag/1.0.0's messages (docs/tracing.md) as a peer would send them: a request or
// a response decodes within its limits or fails cleanly, and what decodes encodes again into
// something that decodes to the same.
#include <cstdint>

#include "fuzz_input.h"
#include "proto/diag/diag.h"

using namespace agora;
using agora::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  diag::DiagLimits limits;
  if (auto q = diag::decode_request(input, limits)) {
    check(q->keys.size() <= limits.keys_max);
    check(q->to_ns >= q->from_ns && q->to_ns - q->from_ns <= limits.window_ns_max);
    auto again = diag::decode_request(diag::encode_request(*q), limits);
    check(again.ok() && again->keys == q->keys && again->trace_id == q->trace_id);
  }
  if (auto r = diag::decode_response(input, limits)) {
    check(r->spans.size() <= limits.spans_max);
    Bytes wire = diag::encode_response(*r, limits);
    check(wire.size() <= limits.response_bytes_max);
    auto again = diag::decode_response(wire, limits);
    check(again.ok() && again->spans.size() <= r->spans.size());
    for (size_t i = 0; i < again->spans.size(); ++i)
      check(again->spans[i].span_id == r->spans[i].span_id &&
            again->spans[i].key == r->spans[i].key);
  }
  return 0;
}
