// Cid::from_bytes, Cid::parse and the bitswap prefix on arbitrary input: never crash, and every
// CID that parses prints and re-parses to itself in binary and in text.
#include <cstdio>
#include <cstdlib>

#include "codec/cid.h"

using namespace agora;

#define CHECK(cond)                                          \
  do {                                                       \
    if (!(cond)) {                                           \
      std::fprintf(stderr, "fuzz_cid: failed: %s\n", #cond); \
      std::abort();                                          \
    }                                                        \
  } while (0)

static void check_round_trips(const Cid& c) {
  auto bin = Cid::from_bytes(c.bytes());
  CHECK(bin.ok());
  CHECK(*bin == c);
  auto text = Cid::parse(c.to_string());
  CHECK(text.ok());
  CHECK(*text == c);
  if (c.version() == 1) {
    for (Base b : {Base::base58btc, Base::base36, Base::base16, Base::base32upper}) {
      auto other = Cid::parse(c.to_string(b));
      CHECK(other.ok());
      CHECK(*other == c);
    }
  }
  CHECK(c.to_v1().hash() == c.hash());
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  auto bin = Cid::from_bytes(input);
  if (bin.ok()) {
    CHECK(bin->bytes() == Bytes(input.begin(), input.end()));
    check_round_trips(*bin);
  }
  size_t consumed = 0;
  auto prefix = Cid::read_prefix(input, &consumed);
  if (prefix.ok()) {
    CHECK(consumed <= size);
    CHECK(prefix->bytes().size() == consumed);
  }
  auto text = Cid::parse(as_chars(input));
  if (text.ok()) check_round_trips(*text);

  // The first byte splits the rest into a bitswap prefix and block data.
  if (size > 0) {
    size_t split = std::min<size_t>(data[0], size - 1);
    auto rebuilt = cid_from_prefix(input.subspan(1, split), input.subspan(1 + split));
    if (rebuilt.ok()) {
      CHECK(rebuilt->matches(input.subspan(1 + split)));
      CHECK(cid_prefix(*rebuilt) == Bytes(data + 1, data + 1 + split));
    }
  }
  return 0;
}
