// A tiny HTTP/1.1 client for one thing: POST a body to a collector on this host or network and
// learn the status (the OTLP exporter, observe/otlp_exporter.h). Plain POSIX sockets, blocking
// the calling thread only (never the node's loop: the exporter runs it on its own thread).
//
// - The endpoint is http://HOST:PORT/PATH with HOST an IP literal (IPv4, or IPv6 in brackets)
//   or `localhost` (127.0.0.1). No TLS and no DNS: anything else is refused when the endpoint
//   is parsed, at config load time, with a message that says so.
// - One request per connection (Connection: close). Bounded: connect, request and response
//   together within PostLimits::timeout; at most response_bytes_max bytes of the response are
//   read, of which only the status line is used.
// - Waits poll in slices of at most 100 ms and give up early when `stop` is set (shutdown).
// - Errors are values: PostResult says which of a small fixed set of reasons (the exporter's
//   metric label) and why.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace agora::observe {

struct HttpEndpoint {
  std::string url;      // as configured
  int family = 0;       // AF_INET or AF_INET6
  std::string address;  // the numeric address connected to
  uint16_t port = 0;
  std::string host;  // the Host header: host:port as written (localhost, [::1], ...)
  std::string path;  // starts with '/'
};

inline constexpr size_t kHttpEndpointChars = 2048;

// Errc::invalid_input with what is wrong (https, a host name, no port, no path, ...).
Result<HttpEndpoint> parse_http_endpoint(std::string_view url);

enum class PostFailure {
  connect,      // the connection was refused or failed
  timeout,      // not done within the timeout
  http_status,  // an answer, but not 2xx
  io,           // a send or receive failed, or the answer was not HTTP
  cancelled,    // `stop` was set
};
const char* post_failure_name(PostFailure failure);

struct PostLimits {
  std::chrono::milliseconds timeout{5000};  // connect, request and response together
  size_t response_bytes_max = 64 << 10;
};

struct PostError {
  PostFailure reason = PostFailure::io;
  std::string message;
};

struct PostResult {
  int status = 0;  // the HTTP status, when one was read
  std::optional<PostError> error;
  bool ok() const { return !error; }
};

PostResult http_post(const HttpEndpoint& endpoint, std::string_view content_type,
                     std::string_view body, const PostLimits& limits,
                     const std::atomic<bool>* stop = nullptr);

// The status of a response that starts with an HTTP/1.x status line ("HTTP/1.1 204 ..."), or
// nullopt while it does not (yet).
std::optional<int> parse_status_line(std::string_view response);

}  // namespace agora::observe
