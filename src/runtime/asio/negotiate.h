// multistream-select on a yamux stream: pick the application protocol.
#pragma once

#include <string>
#include <vector>

#include "runtime/asio/connection.h"

namespace agora::rt {

// Proposes `protocols` in order; returns the one the remote accepted.
awaitable<Result<std::string>> select_protocol(Stream& stream, std::vector<std::string> protocols);
// Answers the remote's proposals with one of `supported`.
awaitable<Result<std::string>> accept_protocol(Stream& stream, std::vector<std::string> supported);

}  // namespace agora::rt
