#include "proto/identify/identify.h"

#include "codec/protobuf.h"

namespace agora::identify {
namespace {

enum FieldNumber : uint32_t {
  kPublicKey = 1,
  kListenAddrs = 2,
  kProtocols = 3,
  kObservedAddr = 4,
  kProtocolVersion = 5,
  kAgentVersion = 6,
  kSignedPeerRecord = 8,
};

// Unparseable or empty multiaddrs are not an error: peers advertise transports we do not know.
std::optional<Multiaddr> parse_addr(BytesView bytes) {
  auto addr = Multiaddr::from_bytes(bytes);
  if (!addr.ok() || addr->empty()) return std::nullopt;
  return std::move(addr).value();
}

Error too_large(const std::string& what, size_t max) {
  return make_error(Errc::too_large, "identify: " + what + " over " + std::to_string(max));
}

Status apply_field(IdentifyInfo& info, const pb::Field& f, const IdentifyLimits& limits,
                   size_t& listen_addr_fields) {
  switch (f.number) {
    case kPublicKey:
    case kListenAddrs:
    case kProtocols:
    case kObservedAddr:
    case kProtocolVersion:
    case kAgentVersion:
    case kSignedPeerRecord:
      if (f.type != pb::kLen)
        return make_error(Errc::invalid_input, "identify: field " + std::to_string(f.number) +
                                                   " is not length-delimited");
      break;
    default:
      return {};  // unknown field, skipped for forward compatibility
  }
  switch (f.number) {
    case kPublicKey:
      info.public_key.assign(f.bytes.begin(), f.bytes.end());
      break;
    case kListenAddrs:
      if (++listen_addr_fields > limits.listen_addrs_max)
        return too_large("listen address count", limits.listen_addrs_max);
      if (auto addr = parse_addr(f.bytes))
        info.listen_addrs.push_back(std::move(*addr));
      else
        ++info.skipped_addrs;
      break;
    case kProtocols:
      if (info.protocols.size() >= limits.protocols_max)
        return too_large("protocol count", limits.protocols_max);
      if (f.bytes.size() > limits.protocol_bytes_max)
        return too_large("protocol id length", limits.protocol_bytes_max);
      if (!f.bytes.empty()) info.protocols.emplace_back(as_chars(f.bytes));
      break;
    case kObservedAddr:
      info.observed_addr = parse_addr(f.bytes);
      if (!info.observed_addr) ++info.skipped_addrs;
      break;
    case kProtocolVersion:
      info.protocol_version.assign(as_chars(f.bytes));
      break;
    case kAgentVersion:
      info.agent_version.assign(as_chars(f.bytes));
      break;
    case kSignedPeerRecord:
      if (f.bytes.empty())
        info.signed_peer_record.reset();
      else
        info.signed_peer_record = Bytes(f.bytes.begin(), f.bytes.end());
      break;
  }
  return {};
}

}  // namespace

Bytes encode_identify(const IdentifyInfo& info) {
  // js-libp2p and rust-libp2p order (the .proto declaration order), not field-number order.
  pb::Writer w;
  if (!info.protocol_version.empty()) w.string(kProtocolVersion, info.protocol_version);
  if (!info.agent_version.empty()) w.string(kAgentVersion, info.agent_version);
  if (!info.public_key.empty()) w.bytes(kPublicKey, info.public_key);
  for (const Multiaddr& addr : info.listen_addrs) w.bytes(kListenAddrs, addr.to_bytes());
  if (info.observed_addr) w.bytes(kObservedAddr, info.observed_addr->to_bytes());
  for (const std::string& protocol : info.protocols) w.string(kProtocols, protocol);
  if (info.signed_peer_record && !info.signed_peer_record->empty())
    w.bytes(kSignedPeerRecord, *info.signed_peer_record);
  return w.take();
}

Result<IdentifyInfo> decode_identify(BytesView bytes, const IdentifyLimits& limits) {
  if (bytes.size() > limits.message_bytes_max)
    return too_large("message of " + std::to_string(bytes.size()) + " bytes",
                     limits.message_bytes_max);
  IdentifyInfo info;
  info.protocol_version.clear();  // absent unless sent
  size_t listen_addr_fields = 0;
  pb::Reader reader(bytes);
  while (!reader.done()) {
    AGORA_ASSIGN(pb::Field f, reader.next());
    AGORA_TRY(apply_field(info, f, limits, listen_addr_fields));
  }
  return info;
}

void merge_identify(IdentifyInfo& base, const IdentifyInfo& push) {
  if (!push.protocol_version.empty()) base.protocol_version = push.protocol_version;
  if (!push.agent_version.empty()) base.agent_version = push.agent_version;
  if (!push.public_key.empty()) base.public_key = push.public_key;
  if (!push.listen_addrs.empty()) base.listen_addrs = push.listen_addrs;
  if (!push.protocols.empty()) base.protocols = push.protocols;
  if (push.observed_addr) base.observed_addr = push.observed_addr;
  if (push.signed_peer_record) base.signed_peer_record = push.signed_peer_record;
  base.skipped_addrs += push.skipped_addrs;
}

Result<PeerId> identify_peer_id(const IdentifyInfo& info) {
  if (info.public_key.empty()) return make_error(Errc::invalid_input, "identify: no public key");
  AGORA_ASSIGN(PublicKeyProto key, decode_public_key(info.public_key));
  return PeerId::from_public_key(key);
}

}  // namespace agora::identify
