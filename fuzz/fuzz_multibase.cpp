// Multibase: decoded text re-encodes to the same text (up to case), and bytes round trip
// through every base.
#include <cstdlib>

#include "codec/multibase.h"

using namespace agora;

static void check(bool ok) {
  if (!ok) std::abort();
}

static std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

static const Base kBases[] = {Base::base58btc, Base::base32, Base::base32upper, Base::base36,
                              Base::base16};

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The radix bases are quadratic; callers bound their inputs far below this.
  if (size > 4096) return 0;
  std::string_view text = as_chars(BytesView(data, size));
  if (auto decoded = multibase_decode(text); decoded.ok()) {
    char prefix = text[0];
    std::string body(text.substr(1));
    if (prefix == 'z') {
      check(base58btc_encode(*decoded) == body);  // base58 is case-sensitive and canonical
    } else {
      // The other bases decode either case; lowered input is the canonical form.
      std::string canonical = multibase_encode(Base(lower(text.substr(0, 1))[0]), *decoded);
      check(canonical.substr(1) == lower(body));
    }
  }
  BytesView bytes(data, size);
  for (Base base : kBases) {
    std::string encoded = multibase_encode(base, bytes);
    auto back = multibase_decode(encoded);
    check(back.ok() && *back == Bytes(bytes.begin(), bytes.end()));
  }
  return 0;
}
