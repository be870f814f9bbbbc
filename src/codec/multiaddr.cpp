#include "codec/multiaddr.h"

#include <arpa/inet.h>

#include "codec/multiaddr_protocols.h"
#include "codec/varint.h"

namespace agora {

using multiaddr_detail::find_protocol;
using multiaddr_detail::ProtocolInfo;
using multiaddr_detail::ValueKind;

namespace {

Error too_many_components() {
  return make_error(Errc::too_large, "multiaddr: more than " +
                                         std::to_string(kMultiaddrComponentsMax) + " components");
}

// Both forms of every multiaddr we accept fit their bounds, so either form converts to the
// other and back (text normalization, e.g. CID peer ids to base58, can change the length).
Status check_both_forms_fit(const Multiaddr& ma) {
  size_t bytes = ma.to_bytes().size();
  if (bytes > kMultiaddrBytesMax)
    return make_error(Errc::too_large,
                      "multiaddr: binary form of " + std::to_string(bytes) + " bytes");
  size_t chars = ma.to_string().size();
  if (chars > kMultiaddrTextCharsMax)
    return make_error(Errc::too_large,
                      "multiaddr: text form of " + std::to_string(chars) + " chars");
  return {};
}

// Splits "/a/b/c" into its segments; a single trailing '/' is tolerated.
std::vector<std::string_view> split_segments(std::string_view text) {
  std::vector<std::string_view> segments;
  size_t pos = 1;
  while (pos <= text.size()) {
    size_t end = text.find('/', pos);
    if (end == std::string_view::npos) end = text.size();
    segments.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  if (!segments.empty() && segments.back().empty()) segments.pop_back();
  return segments;
}

}  // namespace

Result<Multiaddr> Multiaddr::parse(std::string_view text) {
  if (text.size() > kMultiaddrTextCharsMax)
    return make_error(Errc::too_large,
                      "multiaddr: text of " + std::to_string(text.size()) + " chars");
  if (text.empty() || text[0] != '/')
    return make_error(Errc::invalid_input, "multiaddr: must start with '/'");
  std::vector<std::string_view> segments = split_segments(text);
  Multiaddr out;
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string_view name = segments[i];
    if (name.empty()) return make_error(Errc::invalid_input, "multiaddr: empty protocol name");
    const ProtocolInfo* info = find_protocol(name);
    if (!info)
      return make_error(Errc::unsupported,
                        "multiaddr: unknown protocol '" + std::string(name) + "'");
    if (out.parts_.size() == kMultiaddrComponentsMax) return too_many_components();
    Bytes value;
    if (info->kind != ValueKind::none) {
      if (++i == segments.size())
        return make_error(Errc::invalid_input,
                          "multiaddr: missing value for " + std::string(info->name));
      AGORA_ASSIGN(value, multiaddr_detail::value_from_text(*info, segments[i]));
    }
    out.parts_.push_back({info->proto, std::move(value)});
  }
  AGORA_TRY(check_both_forms_fit(out));
  return out;
}

Result<Multiaddr> Multiaddr::from_bytes(BytesView bytes) {
  if (bytes.size() > kMultiaddrBytesMax)
    return make_error(Errc::too_large, "multiaddr: " + std::to_string(bytes.size()) + " bytes");
  Multiaddr out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    auto code = read_uvarint(bytes.subspan(pos));
    if (!code.ok()) {
      return make_error(Errc::invalid_input, "multiaddr: bad protocol code at byte " +
                                                 std::to_string(pos) + ": " + code.error().message);
    }
    const ProtocolInfo* info = find_protocol(code->value);
    if (!info) {
      return make_error(Errc::unsupported,
                        "multiaddr: unknown protocol code " + std::to_string(code->value));
    }
    if (out.parts_.size() == kMultiaddrComponentsMax) return too_many_components();
    pos += code->size;
    size_t value_bytes = multiaddr_detail::fixed_value_bytes(info->kind);
    if (multiaddr_detail::has_length_prefix(info->kind)) {
      auto len = read_uvarint(bytes.subspan(pos));
      if (!len.ok()) {
        return make_error(
            Errc::invalid_input,
            "multiaddr: bad length for " + std::string(info->name) + ": " + len.error().message);
      }
      pos += len->size;
      if (len->value > bytes.size() - pos)
        return make_error(Errc::invalid_input,
                          "multiaddr: truncated value for " + std::string(info->name));
      value_bytes = size_t(len->value);
    } else if (value_bytes > bytes.size() - pos) {
      return make_error(Errc::invalid_input,
                        "multiaddr: truncated value for " + std::string(info->name));
    }
    BytesView value = bytes.subspan(pos, value_bytes);
    AGORA_TRY(multiaddr_detail::check_binary_value(*info, value));
    out.parts_.push_back({info->proto, Bytes(value.begin(), value.end())});
    pos += value_bytes;
  }
  AGORA_TRY(check_both_forms_fit(out));
  return out;
}

std::string Multiaddr::to_string() const {
  if (parts_.empty()) return "/";
  std::string out;
  for (const auto& part : parts_) {
    const ProtocolInfo* info = find_protocol(uint64_t(part.proto));
    if (!info) {  // only reachable through push() of an unlisted code
      out += "/" + std::to_string(uint32_t(part.proto));
      continue;
    }
    out += '/';
    out += info->name;
    if (info->kind != ValueKind::none) {
      out += '/';
      out += multiaddr_detail::value_to_text(*info, part.value);
    }
  }
  return out;
}

Bytes Multiaddr::to_bytes() const {
  Bytes out;
  for (const auto& part : parts_) {
    put_uvarint(out, uint32_t(part.proto));
    const ProtocolInfo* info = find_protocol(uint64_t(part.proto));
    if (info && multiaddr_detail::has_length_prefix(info->kind))
      put_uvarint(out, part.value.size());
    append(out, part.value);
  }
  return out;
}

std::optional<PeerId> Multiaddr::peer_id() const {
  for (auto it = parts_.rbegin(); it != parts_.rend(); ++it) {
    if (it->proto != Proto::p2p) continue;
    auto id = PeerId::from_bytes(it->value);
    if (!id.ok()) return std::nullopt;
    return *id;
  }
  return std::nullopt;
}

Multiaddr Multiaddr::with_peer_id(const PeerId& id) const {
  Multiaddr out = without_peer_id();
  out.parts_.push_back({Proto::p2p, id.bytes()});
  return out;
}

Multiaddr Multiaddr::without_peer_id() const {
  Multiaddr out = *this;
  if (!out.parts_.empty() && out.parts_.back().proto == Proto::p2p) out.parts_.pop_back();
  return out;
}

std::optional<Multiaddr::TcpEndpoint> Multiaddr::tcp_endpoint() const {
  size_t n = parts_.size();
  if (n < 2 || n > 3 || (n == 3 && parts_[2].proto != Proto::p2p)) return std::nullopt;
  const auto& ip = parts_[0];
  const auto& tcp = parts_[1];
  bool ipv6 = ip.proto == Proto::ip6;
  if ((ip.proto != Proto::ip4 && !ipv6) || tcp.proto != Proto::tcp) return std::nullopt;
  if (ip.value.size() != (ipv6 ? 16u : 4u) || tcp.value.size() != 2) return std::nullopt;
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, ip.value.data(), text, sizeof text))
    return std::nullopt;
  return TcpEndpoint{text, get_u16_be(tcp.value.data()), ipv6};
}

Multiaddr Multiaddr::from_tcp(std::string_view ip, uint16_t port, bool ipv6) {
  uint8_t addr[16];
  std::string copy(ip);
  if (ip.size() > 64 || inet_pton(ipv6 ? AF_INET6 : AF_INET, copy.c_str(), addr) != 1) return {};
  Multiaddr out;
  out.parts_.push_back({ipv6 ? Proto::ip6 : Proto::ip4, Bytes(addr, addr + (ipv6 ? 16 : 4))});
  Bytes port_bytes(2);
  put_u16_be(port_bytes.data(), port);
  out.parts_.push_back({Proto::tcp, std::move(port_bytes)});
  return out;
}

}  // namespace agora
