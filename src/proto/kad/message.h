// Kademlia DHT RPC messages (`/ipfs/kad/1.0.0`, libp2p/specs kad-dht/README.md), proto2 wire.
//
// Encoding writes fields in tag order (1, 2, 3, 8, 9, 10): `type` always (PUT_VALUE is 0 and
// proto3 encoders would drop it; an explicit 0 decodes the same everywhere), `key` when non-empty,
// `record` when present, the peers, and `clusterLevelRaw` only when non-zero. Inside a Peer,
// `connection` is written only when not NOT_CONNECTED. Record writes `key` and `value` always and
// `timeReceived` when non-empty. Decoding accepts fields in any order (js writes 10 before 2),
// skips unknown fields (including Record's removed 3 and 4), and keeps the last of a repeated
// singular field, as protobuf does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "codec/peer_id.h"

namespace agora::kad {

inline constexpr std::string_view kProtocolId = "/ipfs/kad/1.0.0";

// Values are the wire values. Decoding keeps any value that fits an int32, so the core (not the
// decoder) decides what to do with a type it does not know.
enum class MessageType : uint32_t {
  put_value = 0,
  get_value = 1,
  add_provider = 2,
  get_providers = 3,
  find_node = 4,
  ping = 5,
};
const char* message_type_name(MessageType type);  // "FIND_NODE", ... or "UNKNOWN"

enum class ConnectionType : uint32_t {
  not_connected = 0,
  connected = 1,
  can_connect = 2,
  cannot_connect = 3,
};

// A peer as the DHT knows it: its id and its multiaddrs in binary form (kept raw; decode them with
// codec/multiaddr.h when dialing).
struct PeerInfo {
  PeerId id;
  std::vector<Bytes> addrs;
  bool operator==(const PeerInfo&) const = default;
};

// Message.Peer on the wire.
struct Peer {
  PeerId id;
  std::vector<Bytes> addrs;
  ConnectionType connection = ConnectionType::not_connected;
  bool operator==(const Peer&) const = default;
};

struct Record {
  Bytes key;
  Bytes value;
  std::string time_received;  // RFC 3339, set by the receiver; informational only
  bool operator==(const Record&) const = default;
};

struct Message {
  MessageType type = MessageType::put_value;
  Bytes key;
  std::optional<Record> record;
  std::vector<Peer> closer_peers;
  std::vector<Peer> provider_peers;
  int32_t cluster_level_raw = 0;  // unused by every implementation
  bool operator==(const Message&) const = default;
};

// Everything here is chosen by the remote peer. An honest response carries k = 20 closer peers;
// peers list a handful of addresses, each a few dozen bytes.
struct MessageLimits {
  size_t message_bytes_max = 64 * 1024;
  size_t closer_peers_max = 64;
  size_t provider_peers_max = 64;
  size_t addrs_per_peer_max = 32;
  size_t addr_bytes_max = 256;
  size_t key_bytes_max = 256;
  size_t record_value_bytes_max = 16 * 1024;
  size_t time_received_bytes_max = 64;
};

Bytes encode(const Message& message);
size_t encoded_size(const Message& message);  // encode(message).size(), without encoding
// Errc::too_large naming the limit (e.g. "kad: closerPeers over closer_peers_max 64") when one is
// exceeded; Errc::invalid_input for malformed protobuf, a wrong wire type, a missing or invalid
// peer id, or a type/connection value outside int32. Nothing is allocated past a limit.
Result<Message> decode(BytesView bytes, const MessageLimits& limits = {});

// The same limits on a message built in memory (the simulator passes messages without bytes):
// counts and sizes only, and the encoded size against message_bytes_max.
Status check_limits(const Message& message, const MessageLimits& limits);

Bytes encode_record(const Record& record);
Result<Record> decode_record(BytesView bytes, const MessageLimits& limits = {});

inline PeerInfo to_peer_info(const Peer& p) { return PeerInfo{p.id, p.addrs}; }
inline Peer to_peer(const PeerInfo& p, ConnectionType c = ConnectionType::not_connected) {
  return Peer{p.id, p.addrs, c};
}

}  // namespace agora::kad
