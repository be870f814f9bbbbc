// The local HTTP API's defences against a local client that would starve it: the [api] section of
// config.toml (docs/api.md). Part of the public API because an embedding application that serves
// the same API (agora daemon does) reads them from the node's repo. Values must be >= 1.
#pragma once

#include <cstddef>
#include <cstdint>

namespace agora {

struct ApiLimits {
  uint32_t header_timeout_ms = 5000;       // a request's whole header block must arrive by then
  uint32_t body_timeout_ms = 30000;        // longest wait for request body bytes or a reader
  size_t connections_max = 128;            // still sending headers, per listener (TCP, socket)
  size_t connections_per_client_max = 16;  // of those, per source address (TCP) or user id
  size_t workers = 4;                      // threads for short calls (id, peers, events, ...)
  size_t long_workers = 8;                 // threads for long calls (add, get, ping, dht, ...)
  size_t queue_max = 64;                   // complete requests waiting for a thread, per pool
  bool unix_socket = true;                 // also serve on <repo>/api.sock (mode 0600)
  bool operator==(const ApiLimits&) const = default;
};

}  // namespace agora
