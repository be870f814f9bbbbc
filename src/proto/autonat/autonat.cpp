#include "proto/autonat/autonat.h"

#include "codec/protobuf.h"

namespace agora::autonat {
namespace {

// Field numbers of autonat.proto (v1).
enum : uint32_t { kType = 1, kDial = 2, kDialResponse = 3 };  // Message
enum : uint32_t { kPeer = 1 };                                // Message.Dial
enum : uint32_t { kPeerId = 1, kPeerAddrs = 2 };              // Message.PeerInfo
enum : uint32_t { kStatus = 1, kStatusText = 2, kAddr = 3 };  // Message.DialResponse
enum : uint64_t { kTypeDial = 0, kTypeDialResponse = 1 };     // Message.MessageType

Error invalid(const std::string& what) {
  return make_error(Errc::invalid_input, "autonat: " + what);
}
Error too_large(const std::string& what, size_t max) {
  return make_error(Errc::too_large, "autonat: " + what + " over " + std::to_string(max));
}

agora::Status expect(const pb::Field& f, pb::WireType type, const char* name) {
  if (f.type != type) return invalid(std::string(name) + " has the wrong wire type");
  return {};
}

Result<DialRequest> decode_peer_info(BytesView bytes, const AutonatLimits& limits) {
  DialRequest request;
  size_t addr_fields = 0;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(auto f, r.next());
    if (f.number == kPeerId) {
      AGORA_TRY(expect(f, pb::kLen, "peer id"));
      request.peer_id.assign(f.bytes.begin(), f.bytes.end());
    } else if (f.number == kPeerAddrs) {
      AGORA_TRY(expect(f, pb::kLen, "address"));
      if (++addr_fields > limits.addrs_max) return too_large("address count", limits.addrs_max);
      auto addr = Multiaddr::from_bytes(f.bytes);
      if (addr.ok() && !addr->empty()) {
        request.addrs.push_back(std::move(addr).value());
      } else {
        ++request.skipped_addrs;
      }
    }
  }
  return request;
}

Result<DialRequest> decode_dial(BytesView bytes, const AutonatLimits& limits) {
  std::optional<DialRequest> request;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(auto f, r.next());
    if (f.number != kPeer) continue;
    AGORA_TRY(expect(f, pb::kLen, "dial.peer"));
    AGORA_ASSIGN(auto info, decode_peer_info(f.bytes, limits));
    request = std::move(info);
  }
  if (!request) return invalid("a DIAL without peer info");
  return std::move(*request);
}

Result<DialResponse> decode_dial_response(BytesView bytes, const AutonatLimits& limits) {
  DialResponse response;
  bool has_status = false;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(auto f, r.next());
    if (f.number == kStatus) {
      AGORA_TRY(expect(f, pb::kVarint, "status"));
      switch (f.varint) {
        case 0:
        case 100:
        case 101:
        case 200:
        case 300:
          response.status = ResponseStatus(uint32_t(f.varint));
          has_status = true;
          break;
        default:
          return invalid("unknown status " + std::to_string(f.varint));
      }
    } else if (f.number == kStatusText) {
      AGORA_TRY(expect(f, pb::kLen, "status text"));
      if (f.bytes.size() > limits.status_text_bytes_max)
        return too_large("status text", limits.status_text_bytes_max);
      response.status_text.assign(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size());
    } else if (f.number == kAddr) {
      AGORA_TRY(expect(f, pb::kLen, "address"));
      auto addr = Multiaddr::from_bytes(f.bytes);
      if (addr.ok() && !addr->empty()) response.addr = std::move(addr).value();
    }
  }
  if (!has_status) return invalid("a DIAL_RESPONSE without a status");
  return response;
}

}  // namespace

std::string_view status_name(ResponseStatus status) {
  switch (status) {
    case ResponseStatus::ok:
      return "ok";
    case ResponseStatus::dial_error:
      return "dial_error";
    case ResponseStatus::dial_refused:
      return "dial_refused";
    case ResponseStatus::bad_request:
      return "bad_request";
    case ResponseStatus::internal_error:
      return "internal_error";
  }
  return "unknown";
}

Bytes encode_dial(const DialRequest& request) {
  pb::Writer peer;
  peer.bytes(kPeerId, request.peer_id);
  for (const Multiaddr& addr : request.addrs) peer.bytes(kPeerAddrs, addr.to_bytes());
  pb::Writer dial;
  dial.bytes(kPeer, peer.data());
  pb::Writer message;
  message.varint(kType, kTypeDial);
  message.bytes(kDial, dial.data());
  return message.take();
}

Bytes encode_response(const DialResponse& response) {
  pb::Writer body;
  body.varint(kStatus, uint64_t(response.status));
  if (!response.status_text.empty()) body.string(kStatusText, response.status_text);
  if (response.addr) body.bytes(kAddr, response.addr->to_bytes());
  pb::Writer message;
  message.varint(kType, kTypeDialResponse);
  message.bytes(kDialResponse, body.data());
  return message.take();
}

Result<Message> decode(BytesView bytes, const AutonatLimits& limits) {
  if (bytes.size() > limits.message_bytes_max)
    return too_large("message", limits.message_bytes_max);
  std::optional<uint64_t> type;
  BytesView dial, response;
  bool has_dial = false, has_response = false;
  pb::Reader r(bytes);
  while (!r.done()) {
    AGORA_ASSIGN(auto f, r.next());
    if (f.number == kType) {
      AGORA_TRY(expect(f, pb::kVarint, "type"));
      type = f.varint;
    } else if (f.number == kDial) {
      AGORA_TRY(expect(f, pb::kLen, "dial"));
      dial = f.bytes;
      has_dial = true;
    } else if (f.number == kDialResponse) {
      AGORA_TRY(expect(f, pb::kLen, "dialResponse"));
      response = f.bytes;
      has_response = true;
    }
  }
  Message out;
  if (type == kTypeDial && has_dial) {
    AGORA_ASSIGN(auto request, decode_dial(dial, limits));
    out.dial = std::move(request);
  } else if (type == kTypeDialResponse && has_response) {
    AGORA_ASSIGN(auto answer, decode_dial_response(response, limits));
    out.response = std::move(answer);
  } else {
    return invalid("neither a DIAL with a dial nor a DIAL_RESPONSE with a response");
  }
  return out;
}

}  // namespace agora::autonat
