#include "host/address_filter.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace agora::host {
namespace {

struct V4Range {
  uint32_t network;
  int prefix_bits;
};

// Non-global IPv4 ranges: this network, private (RFC 1918), shared CGN space, loopback, link
// local, IETF protocol assignments, documentation (TEST-NET-1..3), 6to4 relay anycast,
// benchmarking, reserved and limited broadcast.
constexpr V4Range kNonGlobalV4[] = {
    {0x00000000, 8},  {0x0A000000, 8},  {0x64400000, 10}, {0x7F000000, 8},  {0xA9FE0000, 16},
    {0xAC100000, 12}, {0xC0000000, 24}, {0xC0000200, 24}, {0xC01FC400, 24}, {0xC034C100, 24},
    {0xC0586300, 24}, {0xC0A80000, 16}, {0xC0AF3000, 24}, {0xC6120000, 15}, {0xC6336400, 24},
    {0xCB007100, 24}, {0xF0000000, 4},  {0xFFFFFFFF, 32},
};

uint32_t v4_value(const Bytes& b) {
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

bool in_range(uint32_t ip, V4Range r) {
  uint32_t mask = r.prefix_bits == 0 ? 0 : ~uint32_t(0) << (32 - r.prefix_bits);
  return (ip & mask) == (r.network & mask);
}

bool v4_non_global(uint32_t ip) {
  return std::any_of(std::begin(kNonGlobalV4), std::end(kNonGlobalV4),
                     [ip](V4Range r) { return in_range(ip, r); });
}

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

bool v6_non_global(const Bytes& b) {
  const uint8_t* p = b.data();
  if (all_zero(p, 15) && (p[15] == 0 || p[15] == 1)) return true;  // ::, ::1
  // ::ffff:a.b.c.d (mapped) and 64:ff9b::a.b.c.d (NAT64): judge the embedded IPv4 address.
  bool mapped = all_zero(p, 10) && p[10] == 0xff && p[11] == 0xff;
  static constexpr std::array<uint8_t, 12> kNat64 = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (mapped || std::equal(kNat64.begin(), kNat64.end(), p))
    return v4_non_global(v4_value(Bytes(p + 12, p + 16)));
  if ((p[0] & 0xfe) == 0xfc) return true;                  // fc00::/7 unique local
  if (p[0] == 0xfe && (p[1] & 0xc0) == 0x80) return true;  // fe80::/10 link local
  if (p[0] == 0xff) return true;                           // multicast
  if (p[0] == 0x20 && p[1] == 0x01 && p[2] == 0x0d && p[3] == 0xb8) return true;  // documentation
  return false;
}

}  // namespace

bool is_dialable_tcp(const Multiaddr& addr) {
  auto ep = addr.tcp_endpoint();
  if (!ep || ep->port == 0) return false;
  const Bytes& ip = addr.components()[0].value;
  if (ep->ipv6) return !all_zero(ip.data(), 16) && ip[0] != 0xff;
  uint32_t v4 = v4_value(ip);
  return v4 != 0 && v4 != 0xFFFFFFFF && (v4 >> 28) != 0xE;  // not 0.0.0.0, broadcast, 224/4
}

bool is_private_or_loopback(const Multiaddr& addr) {
  if (addr.empty()) return false;
  const MultiaddrComponent& first = addr.components()[0];
  if (first.proto == Proto::ip4 && first.value.size() == 4)
    return v4_non_global(v4_value(first.value));
  if (first.proto == Proto::ip6 && first.value.size() == 16) return v6_non_global(first.value);
  return false;
}

std::optional<Multiaddr> address_of(const Multiaddr& addr, const PeerId& peer) {
  auto named = addr.peer_id();
  if (named && *named != peer) return std::nullopt;
  return named ? addr.without_peer_id() : addr;
}

}  // namespace agora::host
