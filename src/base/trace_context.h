// W3C trace-context ids (https://www.w3.org/TR/trace-context/): a trace is 16 random bytes, a
// span 8; neither is ever all zero. TraceContext names the span a piece of work hangs under:
// what an operation hands to the requests it makes, and what /agora/xfer's OPEN carries to the
// serving peer (docs/tracing.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace agora {

using TraceId = std::array<uint8_t, 16>;
using SpanId = std::array<uint8_t, 8>;

struct TraceContext {
  TraceId trace_id{};
  SpanId span_id{};  // the parent of whatever is done under this context
  bool operator==(const TraceContext&) const = default;
};

// W3C forbids all-zero ids; a zero id here also means "none" (no parent, no trace).
template <size_t N>
bool is_zero_id(const std::array<uint8_t, N>& id) {
  for (uint8_t b : id)
    if (b != 0) return false;
  return true;
}

// Lowercase hex of any id.
template <size_t N>
std::string to_hex(const std::array<uint8_t, N>& id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * N, '0');
  for (size_t i = 0; i < N; ++i) {
    out[2 * i] = kDigits[id[i] >> 4];
    out[2 * i + 1] = kDigits[id[i] & 15];
  }
  return out;
}

// Exactly 2N hex digits (either case), not all zero; nullopt otherwise.
template <size_t N>
std::optional<std::array<uint8_t, N>> id_from_hex(std::string_view hex) {
  if (hex.size() != 2 * N) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<uint8_t, N> id{};
  bool zero = true;
  for (size_t i = 0; i < N; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    id[i] = uint8_t(hi << 4 | lo);
    zero = zero && id[i] == 0;
  }
  if (zero) return std::nullopt;
  return id;
}

// "00-<trace>-<span>-01"
inline std::string to_traceparent(const TraceContext& c) {
  return "00-" + to_hex(c.trace_id) + "-" + to_hex(c.span_id) + "-01";
}

// "00-<trace>-<span>-<flags>" (a later version: its first four fields, as W3C asks); nullopt
// for anything else, or for all-zero ids.
inline std::optional<TraceContext> parse_traceparent(std::string_view header) {
  if (header.size() < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-')
    return std::nullopt;
  std::string_view version = header.substr(0, 2);
  if (version == "ff" || (version == "00" && header.size() != 55)) return std::nullopt;
  auto hex = [](std::string_view s) {
    return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  };
  if (!hex(version) || !hex(header.substr(53, 2))) return std::nullopt;
  auto trace = id_from_hex<16>(header.substr(3, 32));
  auto span = id_from_hex<8>(header.substr(36, 16));
  if (!trace || !span) return std::nullopt;
  return TraceContext{*trace, *span};
}

}  // namespace agora
