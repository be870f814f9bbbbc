// Multibase: base58btc (z), base32 lower (b) and upper (B), base36 (k), base16 (f).
// Decoding also accepts the upper-case prefixes K and F. base58 and base36 cost O(n^2) in the
// input length: callers bound what they decode (peer ids, multiaddrs do).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"

namespace agora {

enum class Base : char {
  base58btc = 'z',
  base32 = 'b',
  base32upper = 'B',
  base36 = 'k',
  base16 = 'f'
};

std::string base58btc_encode(BytesView in);
Result<Bytes> base58btc_decode(std::string_view in);
std::string base32_encode(BytesView in);           // RFC 4648 lower case, no padding
Result<Bytes> base32_decode(std::string_view in);  // either case, no padding
std::string base36_encode(BytesView in);
Result<Bytes> base36_decode(std::string_view in);

std::string multibase_encode(Base base, BytesView in);  // prefix + encoding
Result<Bytes> multibase_decode(std::string_view text);  // any supported prefix

}  // namespace agora
