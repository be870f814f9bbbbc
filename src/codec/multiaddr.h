// Multiaddr, binary and text (multiformats/multiaddr).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "codec/peer_id.h"

namespace agora {

// Bounds on a multiaddr from outside. parse() and from_bytes() check both forms, so whatever
// they accept converts to the other form and back.
inline constexpr size_t kMultiaddrBytesMax = 1024;
inline constexpr size_t kMultiaddrTextCharsMax = 1024;
inline constexpr size_t kMultiaddrComponentsMax = 32;
inline constexpr size_t kMultiaddrNameBytesMax = 255;  // dns names, sni, ip6zone

enum class Proto : uint32_t {
  ip4 = 4,
  tcp = 6,
  dns = 53,
  dns4 = 54,
  dns6 = 55,
  dnsaddr = 56,
  ip6 = 41,
  ip6zone = 42,
  udp = 273,
  webrtc_direct = 280,
  webrtc = 281,
  p2p_circuit = 290,
  p2p = 421,
  tls = 448,
  sni = 449,
  noise = 454,
  quic = 460,  // draft-29, legacy
  quic_v1 = 461,
  webtransport = 465,
  ws = 477,
  wss = 478,
};

struct MultiaddrComponent {
  Proto proto;
  Bytes value;  // binary value: 4/16 bytes for ip, 2 for ports, name bytes, peer-id multihash
  bool operator==(const MultiaddrComponent&) const = default;
};

class Multiaddr {
 public:
  Multiaddr() = default;
  // Errors name the offending component, e.g. "unknown protocol 'foo'" or "bad ip4 value '1.2.3'".
  static Result<Multiaddr> parse(std::string_view text);
  static Result<Multiaddr> from_bytes(BytesView bytes);

  std::string to_string() const;
  Bytes to_bytes() const;
  const std::vector<MultiaddrComponent>& components() const { return parts_; }
  bool empty() const { return parts_.empty(); }

  // The last /p2p/ component's peer id, if any.
  std::optional<PeerId> peer_id() const;
  Multiaddr with_peer_id(const PeerId& id) const;  // appends /p2p/<id>, replacing a trailing one
  Multiaddr without_peer_id() const;               // drops a trailing /p2p/<id>
  void push(MultiaddrComponent c) { parts_.push_back(std::move(c)); }

  // For /ip4|ip6/<addr>/tcp/<port>[/p2p/..]: the textual IP and the port.
  struct TcpEndpoint {
    std::string host;
    uint16_t port;
    bool ipv6;
  };
  std::optional<TcpEndpoint> tcp_endpoint() const;
  // An empty Multiaddr when `ip` is not a valid address of the given family.
  static Multiaddr from_tcp(std::string_view ip, uint16_t port, bool ipv6);

  bool operator==(const Multiaddr&) const = default;

 private:
  std::vector<MultiaddrComponent> parts_;
};

}  // namespace agora
