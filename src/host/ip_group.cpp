#include "host/ip_group.h"

#include <algorithm>
#include <cstdio>

namespace agora::host {
namespace {

std::string v4_text(const uint8_t* p) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
  return buf;
}

// Eight groups of four hex digits; not the shortest form, but one text per address.
std::string v6_text(const uint8_t* p, size_t groups) {
  std::string out;
  char buf[8];
  for (size_t i = 0; i < groups; ++i) {
    std::snprintf(buf, sizeof buf, "%x", unsigned(p[2 * i]) << 8 | p[2 * i + 1]);
    if (i > 0) out += ':';
    out += buf;
  }
  return out;
}

}  // namespace

// The leading IP: its bytes (4 or 16) and whether it is IPv4 (mapped IPv6 addresses unwrapped).
std::optional<LeadingIp> leading_ip(const Multiaddr& addr) {
  if (addr.components().empty()) return std::nullopt;
  const MultiaddrComponent& first = addr.components().front();
  if (first.proto == Proto::ip4 && first.value.size() == 4)
    return LeadingIp{first.value.data(), true};
  if (first.proto != Proto::ip6 || first.value.size() != 16) return std::nullopt;
  const uint8_t* p = first.value.data();
  bool mapped =
      std::all_of(p, p + 10, [](uint8_t b) { return b == 0; }) && p[10] == 0xff && p[11] == 0xff;
  return mapped ? LeadingIp{p + 12, true} : LeadingIp{p, false};
}

std::optional<IpSource> ip_source(const Multiaddr& addr) {
  auto ip = leading_ip(addr);
  if (!ip) return std::nullopt;
  const uint8_t* p = ip->bytes;
  if (ip->v4) {
    uint8_t net[4] = {p[0], p[1], p[2], 0};
    return IpSource{"ip4/" + v4_text(p), "ip4/" + v4_text(net) + "/24"};
  }
  return IpSource{"ip6/" + v6_text(p, 8), "ip6/" + v6_text(p, 4) + "::/64"};
}

}  // namespace agora::host

namespace agora::host {

Bytes ip_group(const Multiaddr& addr) {
  auto ip = host::leading_ip(addr);
  if (!ip) return {};
  const uint8_t* p = ip->bytes;
  if (ip->v4) return Bytes{4, p[0], p[1], p[2]};
  Bytes out{6};
  out.insert(out.end(), p, p + 8);
  return out;
}

}  // namespace agora::host
