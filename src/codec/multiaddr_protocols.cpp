#include "codec/multiaddr_protocols.h"

#include <arpa/inet.h>

#include "codec/multibase.h"

namespace agora::multiaddr_detail {

namespace {

constexpr ProtocolInfo kProtocols[] = {
    {Proto::ip4, "ip4", ValueKind::ip4},
    {Proto::tcp, "tcp", ValueKind::port},
    {Proto::dns, "dns", ValueKind::name},
    {Proto::dns4, "dns4", ValueKind::name},
    {Proto::dns6, "dns6", ValueKind::name},
    {Proto::dnsaddr, "dnsaddr", ValueKind::name},
    {Proto::ip6, "ip6", ValueKind::ip6},
    {Proto::ip6zone, "ip6zone", ValueKind::name},
    {Proto::udp, "udp", ValueKind::port},
    {Proto::webrtc_direct, "webrtc-direct", ValueKind::none},
    {Proto::webrtc, "webrtc", ValueKind::none},
    {Proto::p2p_circuit, "p2p-circuit", ValueKind::none},
    {Proto::p2p, "p2p", ValueKind::peer_id},
    {Proto::tls, "tls", ValueKind::none},
    {Proto::sni, "sni", ValueKind::name},
    {Proto::noise, "noise", ValueKind::none},
    {Proto::quic, "quic", ValueKind::none},
    {Proto::quic_v1, "quic-v1", ValueKind::none},
    {Proto::webtransport, "webtransport", ValueKind::none},
    {Proto::ws, "ws", ValueKind::none},
    {Proto::wss, "wss", ValueKind::none},
};

Error bad_value(const ProtocolInfo& info, std::string_view text, std::string_view why = {}) {
  std::string msg =
      info.kind == ValueKind::port
          ? "multiaddr: bad port '" + std::string(text) + "' for " + std::string(info.name)
          : "multiaddr: bad " + std::string(info.name) + " value '" + std::string(text) + "'";
  if (!why.empty()) msg += ": " + std::string(why);
  return make_error(Errc::invalid_input, std::move(msg));
}

// Names travel verbatim in both forms, so they must not contain the text separator '/' nor
// control characters that would make the text form ambiguous or unprintable.
bool valid_name(BytesView name) {
  if (name.empty() || name.size() > kMultiaddrNameBytesMax) return false;
  for (uint8_t c : name)
    if (c == '/' || c < 0x20 || c == 0x7f) return false;
  return true;
}

Result<Bytes> ip_from_text(const ProtocolInfo& info, std::string_view text, int family) {
  uint8_t addr[16];
  std::string copy(text);  // inet_pton needs a terminated string
  if (text.size() > 64 || inet_pton(family, copy.c_str(), addr) != 1) return bad_value(info, text);
  return Bytes(addr, addr + (family == AF_INET ? 4 : 16));
}

Result<Bytes> port_from_text(const ProtocolInfo& info, std::string_view text) {
  if (text.empty() || text.size() > 5) return bad_value(info, text);
  uint32_t port = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return bad_value(info, text);
    port = port * 10 + uint32_t(c - '0');
  }
  if (port > 65535) return bad_value(info, text);
  Bytes out(2);
  put_u16_be(out.data(), uint16_t(port));
  return out;
}

}  // namespace

const ProtocolInfo* find_protocol(std::string_view name) {
  if (name == "ipfs") name = "p2p";
  for (const auto& p : kProtocols)
    if (p.name == name) return &p;
  return nullptr;
}

const ProtocolInfo* find_protocol(uint64_t code) {
  for (const auto& p : kProtocols)
    if (uint64_t(p.proto) == code) return &p;
  return nullptr;
}

size_t fixed_value_bytes(ValueKind kind) {
  switch (kind) {
    case ValueKind::ip4:
      return 4;
    case ValueKind::ip6:
      return 16;
    case ValueKind::port:
      return 2;
    default:
      return 0;
  }
}

bool has_length_prefix(ValueKind kind) {
  return kind == ValueKind::name || kind == ValueKind::peer_id;
}

Result<Bytes> value_from_text(const ProtocolInfo& info, std::string_view text) {
  switch (info.kind) {
    case ValueKind::none:
      return Bytes();
    case ValueKind::ip4:
      return ip_from_text(info, text, AF_INET);
    case ValueKind::ip6:
      return ip_from_text(info, text, AF_INET6);
    case ValueKind::port:
      return port_from_text(info, text);
    case ValueKind::name:
      if (!valid_name(as_bytes(text))) return bad_value(info, text);
      return to_bytes(text);
    case ValueKind::peer_id: {
      auto id = PeerId::parse(text);
      if (!id.ok()) return bad_value(info, text, id.error().message);
      return id->bytes();
    }
  }
  return bad_value(info, text);
}

Status check_binary_value(const ProtocolInfo& info, BytesView value) {
  switch (info.kind) {
    case ValueKind::none:
    case ValueKind::ip4:
    case ValueKind::ip6:
    case ValueKind::port:
      return {};  // sizes were checked by the caller
    case ValueKind::name:
      if (!valid_name(value)) return bad_value(info, to_hex(value));
      return {};
    case ValueKind::peer_id: {
      auto id = PeerId::from_bytes(value);
      if (!id.ok()) return bad_value(info, to_hex(value), id.error().message);
      return {};
    }
  }
  return {};
}

std::string value_to_text(const ProtocolInfo& info, BytesView value) {
  switch (info.kind) {
    case ValueKind::none:
      return {};
    case ValueKind::ip4:
    case ValueKind::ip6: {
      int family = info.kind == ValueKind::ip4 ? AF_INET : AF_INET6;
      char text[INET6_ADDRSTRLEN];
      // A value of the wrong size can only come from push(); print it so it does not parse.
      if (value.size() != fixed_value_bytes(info.kind) ||
          !inet_ntop(family, value.data(), text, sizeof text))
        return "0x" + to_hex(value);
      return text;
    }
    case ValueKind::port:
      if (value.size() != 2) return "0x" + to_hex(value);
      return std::to_string(get_u16_be(value.data()));
    case ValueKind::name:
      return std::string(as_chars(value));
    case ValueKind::peer_id:
      return base58btc_encode(value);
  }
  return {};
}

}  // namespace agora::multiaddr_detail
