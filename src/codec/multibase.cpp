#include "codec/multibase.h"

#include <array>

namespace agora {
namespace {

constexpr std::string_view kBase58Alphabet =
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr std::string_view kBase36Alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view kBase32Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

// Digit value of `c` in `alphabet`, or -1. Tables are built once per alphabet.
struct DigitTable {
  std::array<int8_t, 256> value;
  DigitTable(std::string_view alphabet, bool fold_case) {
    value.fill(-1);
    for (size_t i = 0; i < alphabet.size(); ++i) {
      auto c = uint8_t(alphabet[i]);
      value[c] = int8_t(i);
      if (fold_case && c >= 'a' && c <= 'z') value[c - 'a' + 'A'] = int8_t(i);
    }
  }
};

// Big-number radix conversion shared by base58 and base36: leading zero bytes map one to one
// onto leading zero digits, so they survive a round trip.
std::string radix_encode(BytesView in, std::string_view alphabet) {
  const uint32_t base = uint32_t(alphabet.size());
  size_t zeros = 0;
  while (zeros < in.size() && in[zeros] == 0) ++zeros;
  std::vector<uint8_t> digits;  // little-endian digits in `base`
  digits.reserve((in.size() - zeros) * 2);
  for (size_t i = zeros; i < in.size(); ++i) {
    uint32_t carry = in[i];
    for (auto& d : digits) {
      carry += uint32_t(d) << 8;
      d = uint8_t(carry % base);
      carry /= base;
    }
    while (carry > 0) {
      digits.push_back(uint8_t(carry % base));
      carry /= base;
    }
  }
  std::string out(zeros, alphabet[0]);
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(alphabet[*it]);
  return out;
}

Result<Bytes> radix_decode(std::string_view in, const DigitTable& table, uint32_t base,
                           const char* name) {
  size_t zeros = 0;
  while (zeros < in.size() && table.value[uint8_t(in[zeros])] == 0) ++zeros;
  Bytes bytes;  // little-endian base-256
  bytes.reserve(in.size());
  for (size_t i = zeros; i < in.size(); ++i) {
    int v = table.value[uint8_t(in[i])];
    if (v < 0) {
      return make_error(Errc::invalid_input,
                        std::string(name) + ": invalid character at " + std::to_string(i));
    }
    uint32_t carry = uint32_t(v);
    for (auto& b : bytes) {
      carry += uint32_t(b) * base;
      b = uint8_t(carry);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(uint8_t(carry));
      carry >>= 8;
    }
  }
  Bytes out(zeros, 0);
  out.insert(out.end(), bytes.rbegin(), bytes.rend());
  return out;
}

}  // namespace

std::string base58btc_encode(BytesView in) { return radix_encode(in, kBase58Alphabet); }

Result<Bytes> base58btc_decode(std::string_view in) {
  static const DigitTable table(kBase58Alphabet, false);
  return radix_decode(in, table, 58, "base58btc");
}

std::string base36_encode(BytesView in) { return radix_encode(in, kBase36Alphabet); }

Result<Bytes> base36_decode(std::string_view in) {
  static const DigitTable table(kBase36Alphabet, true);
  return radix_decode(in, table, 36, "base36");
}

std::string base32_encode(BytesView in) {
  std::string out;
  out.reserve((in.size() * 8 + 4) / 5);
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : in) {
    acc = (acc << 8 | b) & 0xfff;  // at most 4 + 8 bits are ever pending
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(acc >> bits) & 31]);
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(acc << (5 - bits)) & 31]);
  return out;
}

Result<Bytes> base32_decode(std::string_view in) {
  static const DigitTable table(kBase32Alphabet, true);
  // 1, 3 or 6 trailing characters cannot come from whole bytes.
  size_t tail = in.size() % 8;
  if (tail == 1 || tail == 3 || tail == 6)
    return make_error(Errc::invalid_input,
                      "base32: impossible length " + std::to_string(in.size()));
  Bytes out;
  out.reserve(in.size() * 5 / 8);
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    int v = table.value[uint8_t(in[i])];
    if (v < 0)
      return make_error(Errc::invalid_input, "base32: invalid character at " + std::to_string(i));
    acc = (acc << 5 | uint32_t(v)) & 0x1fff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(uint8_t(acc >> bits));
    }
  }
  // Leftover bits must be zero padding, so every byte string has exactly one encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return make_error(Errc::invalid_input, "base32: non-zero trailing bits");
  return out;
}

std::string multibase_encode(Base base, BytesView in) {
  std::string out(1, char(base));
  switch (base) {
    case Base::base58btc:
      out += base58btc_encode(in);
      break;
    case Base::base32:
      out += base32_encode(in);
      break;
    case Base::base32upper:
      for (char c : base32_encode(in)) out.push_back(c >= 'a' && c <= 'z' ? char(c - 32) : c);
      break;
    case Base::base36:
      out += base36_encode(in);
      break;
    case Base::base16:
      out += to_hex(in);
      break;
  }
  return out;
}

Result<Bytes> multibase_decode(std::string_view text) {
  if (text.empty()) return make_error(Errc::invalid_input, "multibase: empty string");
  std::string_view body = text.substr(1);
  switch (text[0]) {
    case 'z':
      return base58btc_decode(body);
    case 'b':
    case 'B':
      return base32_decode(body);
    case 'k':
    case 'K':
      return base36_decode(body);
    case 'f':
    case 'F':
      return from_hex(body);
  }
  return make_error(Errc::unsupported,
                    "multibase: unsupported prefix '" + std::string(text.substr(0, 1)) + "'");
}

}  // namespace agora
