// The one mapping from an error's kind (Errc) to the HTTP status the local API answers with.
#pragma once

#include <cstdint>

#include "agora/result.h"

namespace agora {

// What an io error (Errc::io, from the operating system) means on a route: the local disk failed
// (500), or a connection to a peer did (502).
enum class IoMeans : uint8_t { disk, network };

// invalid_input, unsupported, too_large, exists: 400; not_found: 404; limit: 429; timeout: 504;
// io: as `io` says; anything else (the network, a peer): 502. One exception, in the routes: a
// parameter that does not parse is the caller's fault (400) whatever kind its parser gives it
// (a truncated peer id is Errc::truncated), see send_bad_request (http_reply.h).
int api_error_status(Errc code, IoMeans io);

}  // namespace agora
