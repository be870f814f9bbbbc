// A blocking loopback TCP client for attack tests: every read has a deadline, so a node that
// fails to close a connection makes the test fail instead of hang.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>

#include "base/bytes.h"

namespace agora::test {

class RawSocket {
 public:
  RawSocket() = default;
  // Takes ownership of a connected socket (e.g. released from asio) and makes it blocking.
  explicit RawSocket(int fd) : fd_(fd) {
    int flags = ::fcntl(fd_, F_GETFL, 0);
    if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  }
  RawSocket(RawSocket&& o) noexcept : fd_(o.fd_), peer_closed_(o.peer_closed_) { o.fd_ = -1; }
  RawSocket& operator=(RawSocket&& o) noexcept {
    std::swap(fd_, o.fd_);
    std::swap(peer_closed_, o.peer_closed_);
    return *this;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }

  static RawSocket connect_loopback(uint16_t port) {
    RawSocket s;
    s.fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (s.fd_ < 0) return s;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s.fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(s.fd_);
      s.fd_ = -1;
    }
    int one = 1;
    if (s.fd_ >= 0) ::setsockopt(s.fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
  }

  bool ok() const { return fd_ >= 0; }
  // True once a read saw EOF or a reset: the node closed the connection.
  bool peer_closed() const { return peer_closed_; }

  // False if the node already closed (EPIPE/ECONNRESET): callers treat that as "closed".
  bool send_all(BytesView data) {
    size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += size_t(n);
    }
    return true;
  }

  // Reads whatever arrives into `into` until `done()` holds, the peer closes, or `timeout`
  // passes. Returns done() (evaluated last).
  bool read_until(Bytes& into, const std::function<bool()>& done,
                  std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    uint8_t buf[64 * 1024];
    while (!done() && !peer_closed_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, int(left.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {  // 0: FIN; < 0: reset (ECONNRESET) or similar
        peer_closed_ = true;
        break;
      }
      into.insert(into.end(), buf, buf + n);
    }
    return done();
  }

  // Reads (and keeps in `into`) until the node closes the connection; false on timeout.
  bool wait_closed(std::chrono::milliseconds timeout, Bytes* into = nullptr) {
    Bytes sink;
    read_until(
        into ? *into : sink, [] { return false; }, timeout);
    return peer_closed_;
  }

 private:
  int fd_ = -1;
  bool peer_closed_ = false;
};

}  // namespace agora::test
