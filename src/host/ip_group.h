// Which source a remote address counts as, for fairness limits: its exact IP, and its IP group
// (the /24 of an IPv4 address, the /64 of an IPv6 one). One host or one small network gets one
// share, however many identities or ports it uses. Works on the binary multiaddr components.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "codec/multiaddr.h"

namespace agora::host {

struct IpSource {
  std::string ip;     // e.g. "ip4/203.0.113.7", "ip6/2001:db8::1"
  std::string group;  // e.g. "ip4/203.0.113.0/24", "ip6/2001:db8::/64"
};

// From the leading /ip4 or /ip6 component; an IPv4-mapped IPv6 address counts as IPv4. Nothing
// for an address without one (e.g. /dns, or empty).
std::optional<IpSource> ip_source(const Multiaddr& addr);

}  // namespace agora::host
