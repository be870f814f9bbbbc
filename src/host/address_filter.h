// Which addresses are worth keeping and announcing. Works on the binary multiaddr components, so
// it needs no sockets and no name resolution.
#pragma once

#include <optional>

#include "codec/multiaddr.h"

namespace agora::host {

// /ip4|ip6/<addr>/tcp/<port>, optionally with /p2p/<peer>: what the swarm can dial. The address
// must not be unspecified (0.0.0.0, ::), multicast or broadcast, and the port not 0.
bool is_dialable_tcp(const Multiaddr& addr);

// The address's IP lies in a private, loopback, link-local or other non-global range (RFC 6890,
// RFC 4193, RFC 4291): the addresses an mDNS announcement may carry, as js-libp2p's isPrivate.
// False for anything without a leading /ip4 or /ip6.
bool is_private_or_loopback(const Multiaddr& addr);

// `addr` without a trailing /p2p/ component, provided it names `peer` (or no one); else nothing:
// an address that names another peer is not this peer's address.
std::optional<Multiaddr> address_of(const Multiaddr& addr, const PeerId& peer);

}  // namespace agora::host
