#include "observe/http_post.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "agora/version.h"

namespace agora::observe {

namespace {

using Clock = std::chrono::steady_clock;

Error bad_endpoint(std::string_view url, const std::string& what) {
  return make_error(Errc::invalid_input,
                    "OTLP endpoint \"" + std::string(url.substr(0, 200)) + "\": " + what);
}

Result<uint16_t> parse_port(std::string_view url, std::string_view text) {
  if (text.empty()) return bad_endpoint(url, "needs a port (http://HOST:PORT/PATH)");
  if (text.size() > 5 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return bad_endpoint(url, "the port must be a number from 1 to 65535");
  uint32_t port = 0;
  for (char c : text) port = port * 10 + uint32_t(c - '0');
  if (port == 0 || port > 65535) return bad_endpoint(url, "the port must be from 1 to 65535");
  return uint16_t(port);
}

// HOST:PORT with HOST an IPv4 literal, [IPv6] or localhost; fills family, address and port.
Status parse_authority(std::string_view url, std::string_view authority, HttpEndpoint& e) {
  if (authority.find('@') != std::string_view::npos)
    return bad_endpoint(url, "user info (user@host) is not supported");
  std::string_view host, port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad_endpoint(url, "an IPv6 address needs a ']'");
    host = authority.substr(1, close - 1);
    if (close + 1 >= authority.size() || authority[close + 1] != ':')
      return bad_endpoint(url, "needs a port (http://[IPv6]:PORT/PATH)");
    port = authority.substr(close + 2);
    e.family = AF_INET6;
  } else {
    size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos)
      return bad_endpoint(url, "needs a port (http://HOST:PORT/PATH)");
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    e.family = AF_INET;
  }
  AGORA_ASSIGN(e.port, parse_port(url, port));
  std::string address(host);
  std::string lower = address;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  if (e.family == AF_INET && lower == "localhost") address = "127.0.0.1";
  unsigned char buf[sizeof(in6_addr)];
  if (inet_pton(e.family, address.c_str(), buf) != 1)
    return bad_endpoint(url, e.family == AF_INET6
                                 ? "not an IPv6 address"
                                 : "the host must be an IP address or localhost (agora does not "
                                   "resolve names for the exporter: no DNS)");
  e.address = address;
  e.host = std::string(authority);
  return {};
}

}  // namespace

Result<HttpEndpoint> parse_http_endpoint(std::string_view url) {
  if (url.size() > kHttpEndpointChars)
    return bad_endpoint(url, "longer than " + std::to_string(kHttpEndpointChars) + " characters");
  constexpr std::string_view kScheme = "http://";
  if (url.starts_with("https://"))
    return bad_endpoint(url,
                        "https is not supported (no TLS): give an http:// collector on this "
                        "host or network");
  if (!url.starts_with(kScheme)) return bad_endpoint(url, "must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos)
    return bad_endpoint(url, "needs a path, e.g. http://127.0.0.1:4318/v1/traces");
  HttpEndpoint e;
  e.url = std::string(url);
  AGORA_TRY(parse_authority(url, rest.substr(0, slash), e));
  e.path = std::string(rest.substr(slash));
  for (char c : e.path)
    if (c <= ' ' || c > '~' || c == '#')
      return bad_endpoint(url, "the path may hold only printable ASCII, no spaces or '#'");
  return e;
}

const char* post_failure_name(PostFailure failure) {
  switch (failure) {
    case PostFailure::connect:
      return "connect";
    case PostFailure::timeout:
      return "timeout";
    case PostFailure::http_status:
      return "http_status";
    case PostFailure::io:
      return "io";
    case PostFailure::cancelled:
      return "cancelled";
  }
  return "io";
}

std::optional<int> parse_status_line(std::string_view r) {
  // "HTTP/1.x NNN" then a space or the line's end.
  if (r.size() < 13 || !r.starts_with("HTTP/1.") || r[8] != ' ') return std::nullopt;
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (r[i] < '0' || r[i] > '9') return std::nullopt;
    status = status * 10 + (r[i] - '0');
  }
  if (r[12] != ' ' && r[12] != '\r' && r[12] != '\n') return std::nullopt;
  return status;
}

namespace {

class Exchange {
 public:
  Exchange(const HttpEndpoint& e, const PostLimits& limits, const std::atomic<bool>* stop)
      : e_(e), limits_(limits), stop_(stop), deadline_(Clock::now() + limits.timeout) {}
  ~Exchange() {
    if (fd_ >= 0) ::close(fd_);
  }

  PostResult run(std::string_view content_type, std::string_view body);

 private:
  enum class Wait { ready, timeout, cancelled, error };
  Wait wait_for(short events) const;
  std::optional<PostError> connect();
  std::optional<PostError> send_all(const std::string& request);
  PostResult receive();
  PostError waited(Wait w, const char* doing) const;

  const HttpEndpoint& e_;
  const PostLimits& limits_;
  const std::atomic<bool>* stop_;
  Clock::time_point deadline_;
  int fd_ = -1;
};

Exchange::Wait Exchange::wait_for(short events) const {
  for (;;) {
    if (stop_ && stop_->load()) return Wait::cancelled;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) return Wait::timeout;
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, int(std::min<int64_t>(left.count(), 100)));
    if (n > 0) return Wait::ready;  // an error or hang-up too: the next call says which
    if (n < 0 && errno != EINTR) return Wait::error;
  }
}

PostError Exchange::waited(Wait w, const char* doing) const {
  if (w == Wait::cancelled) return {PostFailure::cancelled, "stopped"};
  if (w == Wait::timeout)
    return {PostFailure::timeout, std::string(doing) + " " + e_.url + ": no answer within " +
                                      std::to_string(limits_.timeout.count()) + " ms"};
  return {PostFailure::io, std::string(doing) + " " + e_.url + ": " + std::strerror(errno)};
}

std::optional<PostError> Exchange::connect() {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (e_.family == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(e_.port);
    inet_pton(AF_INET6, e_.address.c_str(), &a->sin6_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(e_.port);
    inet_pton(AF_INET, e_.address.c_str(), &a->sin_addr);
    len = sizeof *a;
  }
  fd_ = ::socket(e_.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return PostError{PostFailure::io, std::string("socket: ") + std::strerror(errno)};
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0) return std::nullopt;
  if (errno != EINPROGRESS)
    return PostError{PostFailure::connect, "connecting to " + e_.url + ": " + std::strerror(errno)};
  if (Wait w = wait_for(POLLOUT); w != Wait::ready) {
    PostError err = waited(w, "connecting to");
    if (err.reason == PostFailure::io) err.reason = PostFailure::connect;
    return err;
  }
  int so_error = 0;
  socklen_t so_len = sizeof so_error;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &so_len) != 0) so_error = errno;
  if (so_error != 0)
    return PostError{PostFailure::connect,
                     "connecting to " + e_.url + ": " + std::strerror(so_error)};
  return std::nullopt;
}

std::optional<PostError> Exchange::send_all(const std::string& request) {
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += size_t(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (Wait w = wait_for(POLLOUT); w != Wait::ready) return waited(w, "sending to");
    } else {
      return PostError{PostFailure::io, "sending to " + e_.url + ": " + std::strerror(errno)};
    }
  }
  return std::nullopt;
}

PostResult Exchange::receive() {
  std::string response;
  char buf[4096];
  std::optional<PostError> error;
  while (response.size() < limits_.response_bytes_max) {
    ssize_t n =
        ::recv(fd_, buf, std::min(sizeof buf, limits_.response_bytes_max - response.size()), 0);
    if (n > 0) {
      response.append(buf, size_t(n));
    } else if (n == 0) {
      break;  // the collector closed: the whole answer is here
    } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      if (Wait w = wait_for(POLLIN); w != Wait::ready) {
        error = waited(w, "waiting for");
        break;
      }
    } else {
      error = PostError{PostFailure::io, "reading from " + e_.url + ": " + std::strerror(errno)};
      break;
    }
  }
  std::optional<int> status = parse_status_line(response);
  // A status line is the answer, whatever became of the rest (which is ignored anyway).
  if (status && !(error && error->reason == PostFailure::cancelled)) error.reset();
  if (error) return {.status = 0, .error = error};
  if (!status)
    return {.error = PostError{PostFailure::io, e_.url + " did not answer with HTTP/1.x"}};
  if (*status < 200 || *status > 299)
    return {.status = *status,
            .error = PostError{PostFailure::http_status,
                               e_.url + " answered HTTP " + std::to_string(*status)}};
  return {.status = *status};
}

PostResult Exchange::run(std::string_view content_type, std::string_view body) {
  if (auto err = connect()) return {.error = err};
  std::string request =
      "POST " + e_.path + " HTTP/1.1\r\nHost: " + e_.host + "\r\nUser-Agent: " + agent_version() +
      "\r\nContent-Type: " + std::string(content_type) +
      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  request.append(body);
  if (auto err = send_all(request)) return {.error = err};
  return receive();
}

}  // namespace

PostResult http_post(const HttpEndpoint& endpoint, std::string_view content_type,
                     std::string_view body, const PostLimits& limits,
                     const std::atomic<bool>* stop) {
  return Exchange(endpoint, limits, stop).run(content_type, body);
}

}  // namespace agora::observe
