// AutoNAT v1 (`/libp2p/autonat/1.0.0`, libp2p/specs autonat/README.md): a peer asks another to
// dial it back at the addresses it lists, and learns from the answer whether it can be reached
// from outside. One uvarint-length-prefixed protobuf message each way: DIAL, then DIAL_RESPONSE.
//
// Every size the remote controls is bounded by AutonatLimits; a message over a limit is
// Errc::too_large, a malformed one Errc::invalid_input. Addresses that do not parse (transports
// we do not know) are skipped and counted, not an error: the server dials what it can.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "codec/multiaddr.h"
#include "codec/peer_id.h"

namespace agora::autonat {

inline constexpr std::string_view kProtocolId = "/libp2p/autonat/1.0.0";

struct AutonatLimits {
  size_t message_bytes_max = 8192;  // js-libp2p and go-libp2p read at most a few KiB
  size_t addrs_max = 32;            // address fields in a DIAL, skipped ones included
  size_t status_text_bytes_max = 256;
};

enum class ResponseStatus : uint32_t {
  ok = 0,
  dial_error = 100,     // E_DIAL_ERROR: the server dialled and no address answered
  dial_refused = 101,   // E_DIAL_REFUSED: the server will not dial (rate, policy, no address)
  bad_request = 200,    // E_BAD_REQUEST
  internal_error = 300  // E_INTERNAL_ERROR
};
std::string_view status_name(ResponseStatus status);

struct DialRequest {
  Bytes peer_id;  // the requester's id, as bytes (checked against the connection by the server)
  std::vector<Multiaddr> addrs;
  size_t skipped_addrs = 0;  // decode only: address fields that did not parse
};

struct DialResponse {
  ResponseStatus status = ResponseStatus::internal_error;
  std::string status_text;
  std::optional<Multiaddr> addr;  // OK: the address the dial-back reached
};

struct Message {
  std::optional<DialRequest> dial;
  std::optional<DialResponse> response;
};

Bytes encode_dial(const DialRequest& request);
Bytes encode_response(const DialResponse& response);
// A DIAL carries a dial; a DIAL_RESPONSE a response; anything else is Errc::invalid_input.
Result<Message> decode(BytesView bytes, const AutonatLimits& limits = {});

}  // namespace agora::autonat
