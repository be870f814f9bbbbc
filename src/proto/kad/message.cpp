#include "proto/kad/message.h"

#include <limits>
#include <string>

#include "codec/protobuf.h"
#include "codec/varint.h"

namespace agora::kad {
namespace {

// Message
constexpr uint32_t kType = 1;
constexpr uint32_t kKey = 2;
constexpr uint32_t kRecord = 3;
constexpr uint32_t kCloserPeers = 8;
constexpr uint32_t kProviderPeers = 9;
constexpr uint32_t kClusterLevel = 10;
// Message.Peer
constexpr uint32_t kPeerId = 1;
constexpr uint32_t kPeerAddrs = 2;
constexpr uint32_t kPeerConnection = 3;
// Record
constexpr uint32_t kRecordKey = 1;
constexpr uint32_t kRecordValue = 2;
constexpr uint32_t kRecordTimeReceived = 5;

Error invalid(const std::string& what) { return make_error(Errc::invalid_input, "kad: " + what); }

Error over(const std::string& what, const char* limit, size_t max) {
  return make_error(Errc::too_large, "kad: " + what + " over " + limit + " " + std::to_string(max));
}

Status expect_type(const pb::Field& f, pb::WireType type, const char* name) {
  if (f.type != type) return invalid(std::string(name) + " has the wrong wire type");
  return {};
}

// Enums and int32 travel as varints; negative int32 values are sign-extended to 10 bytes.
Result<uint32_t> enum_value(const pb::Field& f, const char* name) {
  if (f.varint > uint64_t(std::numeric_limits<int32_t>::max()))
    return invalid(std::string(name) + " out of range");
  return uint32_t(f.varint);
}

Bytes peer_body(const Peer& p) {
  pb::Writer w;
  w.bytes(kPeerId, p.id.bytes());
  for (const Bytes& a : p.addrs) w.bytes(kPeerAddrs, a);
  if (p.connection != ConnectionType::not_connected)
    w.varint(kPeerConnection, uint64_t(p.connection));
  return w.take();
}

Result<Peer> decode_peer(BytesView in, const MessageLimits& limits, const std::string& where) {
  Peer p;
  bool has_id = false;
  pb::Reader r(in);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    switch (f.number) {
      case kPeerId: {
        AGORA_TRY(expect_type(f, pb::kLen, "peer id"));
        auto id = PeerId::from_bytes(f.bytes);
        if (!id) return invalid(where + ": bad peer id: " + id.error().message);
        p.id = std::move(*id);
        has_id = true;
        break;
      }
      case kPeerAddrs:
        AGORA_TRY(expect_type(f, pb::kLen, "peer addrs"));
        if (p.addrs.size() >= limits.addrs_per_peer_max)
          return over(where + " addrs", "addrs_per_peer_max", limits.addrs_per_peer_max);
        if (f.bytes.size() > limits.addr_bytes_max)
          return over(where + " addr", "addr_bytes_max", limits.addr_bytes_max);
        p.addrs.emplace_back(f.bytes.begin(), f.bytes.end());
        break;
      case kPeerConnection: {
        AGORA_TRY(expect_type(f, pb::kVarint, "peer connection"));
        AGORA_ASSIGN(uint32_t c, enum_value(f, "peer connection"));
        // Informational only; an unknown value means we know nothing, as for NOT_CONNECTED.
        p.connection = c <= uint32_t(ConnectionType::cannot_connect)
                           ? ConnectionType(c)
                           : ConnectionType::not_connected;
        break;
      }
      default:
        break;
    }
  }
  if (!has_id) return invalid(where + ": missing peer id");
  return p;
}

Status decode_peers(const pb::Field& f, std::vector<Peer>& out, const char* name,
                    const char* limit_name, size_t max, const MessageLimits& limits) {
  AGORA_TRY(expect_type(f, pb::kLen, name));
  if (out.size() >= max) return over(name, limit_name, max);
  AGORA_ASSIGN(Peer p,
               decode_peer(f.bytes, limits, std::string(name) + " " + std::to_string(out.size())));
  out.push_back(std::move(p));
  return {};
}

Status check_peers(const std::vector<Peer>& peers, const char* name, const char* limit_name,
                   size_t max, const MessageLimits& limits) {
  if (peers.size() > max) return over(name, limit_name, max);
  for (const Peer& p : peers) {
    if (p.id.empty()) return invalid(std::string(name) + ": missing peer id");
    if (p.addrs.size() > limits.addrs_per_peer_max)
      return over(std::string(name) + " addrs", "addrs_per_peer_max", limits.addrs_per_peer_max);
    for (const Bytes& a : p.addrs) {
      if (a.size() > limits.addr_bytes_max)
        return over(std::string(name) + " addr", "addr_bytes_max", limits.addr_bytes_max);
    }
  }
  return {};
}

Status check_record(const Record& r, const MessageLimits& limits) {
  if (r.key.size() > limits.key_bytes_max)
    return over("record key", "key_bytes_max", limits.key_bytes_max);
  if (r.value.size() > limits.record_value_bytes_max)
    return over("record value", "record_value_bytes_max", limits.record_value_bytes_max);
  if (r.time_received.size() > limits.time_received_bytes_max)
    return over("record timeReceived", "time_received_bytes_max", limits.time_received_bytes_max);
  return {};
}

// Exact sizes of what encode() writes; every tag here fits one byte.
size_t len_field_size(size_t body) { return 1 + uvarint_size(body) + body; }
size_t varint_field_size(uint64_t v) { return 1 + uvarint_size(v); }

size_t peer_body_size(const Peer& p) {
  size_t n = len_field_size(p.id.bytes().size());
  for (const Bytes& a : p.addrs) n += len_field_size(a.size());
  if (p.connection != ConnectionType::not_connected) n += varint_field_size(uint64_t(p.connection));
  return n;
}

size_t record_body_size(const Record& r) {
  size_t n = len_field_size(r.key.size()) + len_field_size(r.value.size());
  if (!r.time_received.empty()) n += len_field_size(r.time_received.size());
  return n;
}

}  // namespace

size_t encoded_size(const Message& m) {
  size_t n = varint_field_size(uint64_t(m.type));
  if (!m.key.empty()) n += len_field_size(m.key.size());
  if (m.record) n += len_field_size(record_body_size(*m.record));
  for (const Peer& p : m.closer_peers) n += len_field_size(peer_body_size(p));
  for (const Peer& p : m.provider_peers) n += len_field_size(peer_body_size(p));
  if (m.cluster_level_raw != 0) n += varint_field_size(uint64_t(int64_t(m.cluster_level_raw)));
  return n;
}

const char* message_type_name(MessageType type) {
  switch (type) {
    case MessageType::put_value:
      return "PUT_VALUE";
    case MessageType::get_value:
      return "GET_VALUE";
    case MessageType::add_provider:
      return "ADD_PROVIDER";
    case MessageType::get_providers:
      return "GET_PROVIDERS";
    case MessageType::find_node:
      return "FIND_NODE";
    case MessageType::ping:
      return "PING";
  }
  return "UNKNOWN";
}

Bytes encode_record(const Record& record) {
  pb::Writer w;
  w.bytes(kRecordKey, record.key);
  w.bytes(kRecordValue, record.value);
  if (!record.time_received.empty()) w.string(kRecordTimeReceived, record.time_received);
  return w.take();
}

Result<Record> decode_record(BytesView bytes, const MessageLimits& limits) {
  Record rec;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    switch (f.number) {
      case kRecordKey:
        AGORA_TRY(expect_type(f, pb::kLen, "record key"));
        if (f.bytes.size() > limits.key_bytes_max)
          return over("record key", "key_bytes_max", limits.key_bytes_max);
        rec.key.assign(f.bytes.begin(), f.bytes.end());
        break;
      case kRecordValue:
        AGORA_TRY(expect_type(f, pb::kLen, "record value"));
        if (f.bytes.size() > limits.record_value_bytes_max)
          return over("record value", "record_value_bytes_max", limits.record_value_bytes_max);
        rec.value.assign(f.bytes.begin(), f.bytes.end());
        break;
      case kRecordTimeReceived:
        AGORA_TRY(expect_type(f, pb::kLen, "record timeReceived"));
        if (f.bytes.size() > limits.time_received_bytes_max)
          return over("record timeReceived", "time_received_bytes_max",
                      limits.time_received_bytes_max);
        rec.time_received.assign(as_chars(f.bytes));
        break;
      default:
        break;  // 3 (author) and 4 (signature) were removed from the spec; skip them
    }
  }
  return rec;
}

Bytes encode(const Message& m) {
  pb::Writer w;
  w.varint(kType, uint64_t(m.type));
  if (!m.key.empty()) w.bytes(kKey, m.key);
  if (m.record) w.bytes(kRecord, encode_record(*m.record));
  for (const Peer& p : m.closer_peers) w.bytes(kCloserPeers, peer_body(p));
  for (const Peer& p : m.provider_peers) w.bytes(kProviderPeers, peer_body(p));
  if (m.cluster_level_raw != 0) w.varint(kClusterLevel, uint64_t(int64_t(m.cluster_level_raw)));
  return w.take();
}

Result<Message> decode(BytesView bytes, const MessageLimits& limits) {
  if (bytes.size() > limits.message_bytes_max)
    return over("message", "message_bytes_max", limits.message_bytes_max);
  Message m;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    switch (f.number) {
      case kType: {
        AGORA_TRY(expect_type(f, pb::kVarint, "type"));
        AGORA_ASSIGN(uint32_t t, enum_value(f, "type"));
        m.type = MessageType(t);
        break;
      }
      case kKey:
        AGORA_TRY(expect_type(f, pb::kLen, "key"));
        if (f.bytes.size() > limits.key_bytes_max)
          return over("key", "key_bytes_max", limits.key_bytes_max);
        m.key.assign(f.bytes.begin(), f.bytes.end());
        break;
      case kRecord: {
        AGORA_TRY(expect_type(f, pb::kLen, "record"));
        AGORA_ASSIGN(Record rec, decode_record(f.bytes, limits));
        m.record = std::move(rec);
        break;
      }
      case kCloserPeers:
        AGORA_TRY(decode_peers(f, m.closer_peers, "closerPeers", "closer_peers_max",
                               limits.closer_peers_max, limits));
        break;
      case kProviderPeers:
        AGORA_TRY(decode_peers(f, m.provider_peers, "providerPeers", "provider_peers_max",
                               limits.provider_peers_max, limits));
        break;
      case kClusterLevel:
        AGORA_TRY(expect_type(f, pb::kVarint, "clusterLevelRaw"));
        m.cluster_level_raw = int32_t(uint32_t(f.varint));  // int32: low 32 bits
        break;
      default:
        break;
    }
  }
  return m;
}

Status check_limits(const Message& m, const MessageLimits& limits) {
  if (m.key.size() > limits.key_bytes_max)
    return over("key", "key_bytes_max", limits.key_bytes_max);
  if (m.record) AGORA_TRY(check_record(*m.record, limits));
  AGORA_TRY(check_peers(m.closer_peers, "closerPeers", "closer_peers_max", limits.closer_peers_max,
                        limits));
  AGORA_TRY(check_peers(m.provider_peers, "providerPeers", "provider_peers_max",
                        limits.provider_peers_max, limits));
  if (encoded_size(m) > limits.message_bytes_max)
    return over("message", "message_bytes_max", limits.message_bytes_max);
  return {};
}

}  // namespace agora::kad
