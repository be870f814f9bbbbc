// The libp2p mDNS records (libp2p/specs discovery/mdns.md): building the query and the response,
// and reading peers out of a response.
//
//   query:     question  <service> PTR
//   response:  answer    <service> PTR <peer-name>.<service>
//              additional <peer-name>.<service> TXT "dnsaddr=<multiaddr>/p2p/<peer id>" ...
//
// Our response carries one TXT record with one string per address (as go-libp2p does); js-libp2p
// sends one TXT record per address, in the answers. Reading takes TXT records from answers and
// additionals alike, named after the PTR's target, any number of strings each.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec/multiaddr.h"
#include "proto/mdns/dns_message.h"

namespace agora::mdns {

inline constexpr std::string_view kServiceName = "_p2p._udp.local";
inline constexpr std::string_view kDnsaddrPrefix = "dnsaddr=";

// Multicast queries and responses carry id 0 (RFC 6762 §18.1); the query asks for multicast
// answers (no QU bit), as js-libp2p and rust-libp2p do.
Bytes build_query(const Name& service);

// Responses of at most datagram_bytes_max bytes, each with the PTR answer and as many of
// `txt_strings` as fit. Errc::too_large when one string cannot fit a datagram, or a string is over
// 255 bytes; Errc::invalid_input for a peer name that is not one DNS label.
Result<std::vector<Bytes>> build_response(const Name& service, std::string_view peer_name,
                                          const std::vector<std::string>& txt_strings,
                                          uint32_t ttl_s, size_t datagram_bytes_max);

// A question for <service> PTR (or ANY), class IN (or ANY).
bool asks_for(const DnsMessage& query, const Name& service);

struct Announcement {
  std::string peer_name;         // first label of the PTR target
  PeerId peer;                   // from the first address; addresses naming another are dropped
  std::vector<Multiaddr> addrs;  // /p2p/<peer> removed, no duplicates, at most addrs_per_peer_max
  uint32_t ttl_s = 0;            // the PTR's; 0 says goodbye (RFC 6762 §10.1)
};

struct AnnouncementLimits {
  size_t peers_max = 16;  // PTR answers read per response
  size_t addrs_per_peer_max = 32;
};

// What read_announcements passed over, for the core's counters.
struct AnnouncementSkips {
  size_t peers_over_limit = 0;
  size_t peers_without_addrs = 0;  // a PTR with no usable dnsaddr
  size_t addrs_invalid = 0;        // not a multiaddr, no trailing /p2p/, or another peer's id
  size_t addrs_over_limit = 0;
};

std::vector<Announcement> read_announcements(const DnsMessage& response, const Name& service,
                                             const AnnouncementLimits& limits,
                                             AnnouncementSkips& skips);

}  // namespace agora::mdns
