// Fuzzes multistream-select. Properties: chunking never changes the outcome (done, selected
// protocol, error code, bytes sent, bytes handed on), bytes after the echo are exactly the input's
// tail, and output stays bounded by the rejection limit.
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "proto/multistream/multistream.h"

namespace {

using agora::Bytes;
using agora::BytesView;

struct Outcome {
  bool ok = true;
  agora::Errc error = agora::Errc::internal;
  bool done = false;
  std::string selected;
  Bytes output;
  Bytes rest;
  bool operator==(const Outcome&) const = default;
};

// Feeds `input` in chunks whose sizes come from `sizes` (cycled; 0 means the whole input).
template <class Machine>
Outcome run(Machine machine, BytesView input, BytesView sizes) {
  Outcome outcome;
  machine.take_output(outcome.output);
  size_t offset = 0, turn = 0;
  while (offset < input.size()) {
    size_t n = sizes.empty() ? input.size() : 1 + sizes[turn++ % sizes.size()] % 64;
    n = std::min(n, input.size() - offset);
    agora::Status status = machine.on_bytes(input.subspan(offset, n));
    offset += n;
    machine.take_output(outcome.output);
    Bytes rest = machine.take_rest();
    outcome.rest.insert(outcome.rest.end(), rest.begin(), rest.end());
    if (!status.ok()) {
      outcome.ok = false;
      outcome.error = status.error().code;
      if (machine.on_bytes(input.subspan(0, 0)).ok()) std::abort();  // failure sticks
      break;
    }
  }
  outcome.done = machine.done();
  outcome.selected = machine.selected();
  return outcome;
}

void check(const Outcome& whole, const Outcome& chunked, BytesView input, size_t output_max) {
  if (!(whole == chunked)) std::abort();
  if (whole.output.size() > output_max) std::abort();
  if (!whole.done && !whole.rest.empty()) std::abort();
  if (whole.done) {
    if (whole.rest.size() > input.size()) std::abort();
    if (!std::equal(whole.rest.begin(), whole.rest.end(), input.end() - whole.rest.size())) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t sizes_bytes = data[0] % 16;
  if (size < 1 + sizes_bytes) return 0;
  BytesView sizes(data + 1, sizes_bytes);
  BytesView input(data + 1 + sizes_bytes, size - 1 - sizes_bytes);

  const std::vector<std::string> protocols = {"/noise", "/yamux/1.0.0", "/tls/1.0.0"};
  agora::multistream::MultistreamConfig config;
  {
    Outcome whole = run(agora::multistream::MultistreamDialer(protocols), input, {});
    Outcome chunked = run(agora::multistream::MultistreamDialer(protocols), input, sizes);
    size_t output_max = 0;
    for (const std::string& p : protocols) output_max += p.size() + 2;
    check(whole, chunked, input, output_max + 20);
  }
  {
    const std::vector<std::string> supported = {"/noise", "/ipfs/id/1.0.0"};
    Outcome whole = run(agora::multistream::MultistreamListener(supported), input, {});
    Outcome chunked = run(agora::multistream::MultistreamListener(supported), input, sizes);
    // Header, then at most `rejected_messages_max` refusals (na or ls reply) and one echo.
    size_t reply_max = config.message_bytes_max + 2;
    check(whole, chunked, input, 20 + (config.rejected_messages_max + 1) * reply_max);
    if (whole.done && whole.selected != supported[0] && whole.selected != supported[1]) {
      std::abort();
    }
  }
  return 0;
}
