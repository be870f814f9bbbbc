// The flight recorder's events as the node writes them in JSON (Node::events, GET
// /api/v0/events), read back by a tool that shows them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "agora/result.h"

namespace agora {

struct EventView {
  uint64_t seq = 0;
  std::string type;       // connection_opened, limit_hit, ... (docs/architecture.md)
  std::string direction;  // "", inbound, outbound
  std::string peer;
  std::string addr;
  std::string protocol;
  std::string reason;
  std::string detail;
  uint64_t count = 1;   // > 1: a summary of that many events
  int64_t wall_ns = 0;  // when it happened: Unix time in nanoseconds
};

// Errc::invalid_input for a malformed event or an unknown type or direction.
Result<EventView> parse_event(const nlohmann::json& event);

}  // namespace agora
