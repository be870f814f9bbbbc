// Which source a remote address counts as, for fairness limits and quotas: its exact IP, and its
// IP group (the /24 of an IPv4 address, the /64 of an IPv6 one; an IPv4-mapped IPv6 address counts
// as IPv4). One host or one small network gets one share, however many identities or ports it
// uses. Works on the binary multiaddr components.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "codec/multiaddr.h"

namespace agora::host {

// Text form, for admission (host/connection_limits.h) and for messages.
struct IpSource {
  std::string ip;     // e.g. "ip4/203.0.113.7", "ip6/2001:db8::1"
  std::string group;  // e.g. "ip4/203.0.113.0/24", "ip6/2001:db8::/64"
};

// The leading /ip4 or /ip6 component's bytes (4 or 16; a mapped IPv6 address unwrapped to its 4).
// Points into `addr`.
struct LeadingIp {
  const uint8_t* bytes;
  bool v4;
};
std::optional<LeadingIp> leading_ip(const Multiaddr& addr);

// From the leading /ip4 or /ip6 component; an IPv4-mapped IPv6 address counts as IPv4. Nothing
// for an address without one (e.g. /dns, or empty).
std::optional<IpSource> ip_source(const Multiaddr& addr);

}  // namespace agora::host

namespace agora::host {

// Compact binary form of the group, for stored quotas (the DHT provider store, agora.db):
// 4 || the first 3 bytes of an IPv4 address, 6 || the first 8 bytes of an IPv6 address. Empty for
// an address without a leading /ip4 or /ip6.
Bytes ip_group(const Multiaddr& addr);

}  // namespace agora::host
