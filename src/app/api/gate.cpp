#include "app/api/gate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <nlohmann/json.hpp>

namespace agora {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : int(std::min<int64_t>(left.count() + 1, 1 << 30));
}

std::string sockaddr_ip(const sockaddr_storage& sa, int* port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (sa.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(sa);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    if (port) *port = ntohs(in.sin_port);
  } else if (sa.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(sa);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    if (port) *port = ntohs(in6.sin6_port);
  }
  return text;
}

const char* status_text(int status) {
  switch (status) {
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Service Unavailable";
  }
}

// The answer to a refused request, small enough for any socket buffer.
std::string status_answer(int status, const std::string& message) {
  std::string body = nlohmann::json{{"error", message}}.dump();
  return "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// Where the header block ends (after its CRLF blank line), or npos. A bare LF does not end it:
// httplib would go on reading such a request from the socket itself, outside this gate's header
// deadline, so a client could hand a worker a half request and trickle the rest.
size_t head_end(const std::string& buf) {
  size_t end = buf.find("\r\n\r\n");
  return end == std::string::npos ? end : end + 4;
}

}  // namespace

ApiConnection::ApiConnection(int fd, bool unix_socket, std::string client,
                             std::chrono::milliseconds io_timeout)
    : fd_(fd), unix_socket_(unix_socket), client_(std::move(client)), io_timeout_(io_timeout) {}

ApiConnection::~ApiConnection() {
  // Closing with unread bytes (a refused request, a body nobody read) would send a reset that
  // can overtake the answer: say FIN first and take what already arrived.
  ::shutdown(fd_, SHUT_WR);
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd_, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd_);
}

bool ApiConnection::wait_for(short events) const {
  pollfd p{fd_, events, 0};
  for (;;) {
    // poll takes an int: a body_timeout_ms past INT_MAX must not turn into "wait forever".
    int n = ::poll(&p, 1, int(std::min<int64_t>(io_timeout_.count(), INT_MAX)));
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

bool ApiConnection::is_readable() const { return head_pos_ < head_.size() || wait_for(POLLIN); }

bool ApiConnection::is_writable() const { return wait_for(POLLOUT); }

ssize_t ApiConnection::read(char* ptr, size_t size) {
  if (head_pos_ < head_.size()) {
    size_t n = std::min(size, head_.size() - head_pos_);
    std::memcpy(ptr, head_.data() + head_pos_, n);
    head_pos_ += n;
    return ssize_t(n);
  }
  for (;;) {
    ssize_t n = ::recv(fd_, ptr, size, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!wait_for(POLLIN)) return -1;  // body_timeout_ms without a byte
  }
}

ssize_t ApiConnection::write(const char* ptr, size_t size) {
  for (;;) {
    ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
    if (!wait_for(POLLOUT)) return -1;  // the reader stalled for body_timeout_ms
  }
}

void ApiConnection::get_remote_ip_and_port(std::string& ip, int& port) const {
  port = 0;
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ip = unix_socket_ || ::getpeername(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0
           ? std::string()
           : sockaddr_ip(sa, &port);
}

void ApiConnection::get_local_ip_and_port(std::string& ip, int& port) const {
  port = 0;
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  ip = unix_socket_ || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len) != 0
           ? std::string()
           : sockaddr_ip(sa, &port);
}

void ApiConnection::send_now(std::string_view bytes) {
  (void)::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// A fixed set of threads and a bounded queue of connections whose header block has arrived.
class ApiGate::Pool {
 public:
  using Job = std::unique_ptr<ApiConnection>;
  Pool(ApiGate& gate, size_t threads, size_t queue_max) : gate_(gate), queue_max_(queue_max) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Pool() { stop(); }
  // False (and `job` untouched) when queue_max requests already wait.
  bool push(Job& job) {
    std::lock_guard lock(mu_);
    if (stopping_ || jobs_.size() >= queue_max_) return false;
    jobs_.push_back(std::move(job));
    cv_.notify_one();
    return true;
  }
  // Requests in progress finish; those still queued are closed unanswered.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      cv_.notify_all();
    }
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    jobs_.clear();  // closes them
  }

 private:
  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      gate_.serve_(*job);
    }
  }
  ApiGate& gate_;
  size_t queue_max_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

ApiGate::ApiGate(const ApiLimits& limits, Serve serve, Classify classify, OnRefused on_refused)
    : limits_(limits),
      serve_(std::move(serve)),
      classify_(std::move(classify)),
      on_refused_(std::move(on_refused)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

ApiGate::~ApiGate() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<int> ApiGate::listen_tcp(const std::string& host, int port) {
  bool v6 = host == "::1";
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io, std::string("API socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (v6) {
    auto& in6 = reinterpret_cast<sockaddr_in6&>(sa);
    in6.sin6_family = AF_INET6;
    in6.sin6_addr = in6addr_loopback;
    in6.sin6_port = htons(uint16_t(port));
    len = sizeof in6;
  } else {
    auto& in = reinterpret_cast<sockaddr_in&>(sa);
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in.sin_port = htons(uint16_t(port));
    len = sizeof in;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return make_error(Errc::io,
                      "cannot bind the API to " + host + ":" + std::to_string(port) + ": " + why);
  }
  int bound = 0;
  sockaddr_ip(sa, &bound);
  listeners_.push_back({fd, false, 0});
  return bound;
}

Status ApiGate::listen_unix(const std::string& path) {
  sockaddr_un sa{};
  if (path.size() >= sizeof sa.sun_path)
    return make_error(Errc::invalid_input, "API socket path too long (over " +
                                               std::to_string(sizeof sa.sun_path - 1) +
                                               " bytes): " + path);
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io, std::string("API socket: ") + std::strerror(errno));
  // Linux creates the file with the socket inode's mode: 0600 from the start, no window.
  ::fchmod(fd, 0600);
  ::unlink(path.c_str());  // stale from a crash; the repo lock says no other daemon owns it
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::chmod(path.c_str(), 0600) != 0 || ::listen(fd, 128) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    return make_error(Errc::io, "cannot serve the API on " + path + ": " + why);
  }
  unix_path_ = path;
  listeners_.push_back({fd, true, 0});
  return {};
}

void ApiGate::start() {
  short_pool_ = std::make_unique<Pool>(*this, limits_.workers, limits_.queue_max);
  long_pool_ = std::make_unique<Pool>(*this, limits_.long_workers, limits_.queue_max);
  poller_ = std::thread([this] { poll_loop(); });
}

void ApiGate::stop() {
  if (stopping_.exchange(true)) return;
  uint64_t one = 1;
  if (wake_fd_ >= 0) (void)::write(wake_fd_, &one, sizeof one);
  if (poller_.joinable()) poller_.join();
  for (auto& l : listeners_) ::close(l.fd);
  if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
  pending_.clear();
  if (short_pool_) short_pool_->stop();
  if (long_pool_) long_pool_->stop();
}

std::string ApiGate::client_of(int fd, bool unix_socket) const {
  if (unix_socket) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return "uid ?";
    return "uid " + std::to_string(cred.uid);
  }
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) return "?";
  return sockaddr_ip(sa, nullptr);
}

void ApiGate::poll_loop() {
  std::vector<pollfd> fds;
  while (!stopping_) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    for (auto& l : listeners_) fds.push_back({l.fd, POLLIN, 0});
    int timeout = -1;
    for (auto& p : pending_) {
      fds.push_back({p.conn->fd(), POLLIN, 0});
      int left = remaining_ms(p.deadline);
      timeout = timeout < 0 ? left : std::min(timeout, left);
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
    if (stopping_) break;
    // Connections first (their indexes match fds), then new ones join the end of pending_.
    auto now = Clock::now();
    std::vector<Pending> still;
    still.reserve(pending_.size());
    for (size_t i = 0; i < pending_.size(); ++i) {
      Pending& p = pending_[i];
      short ready = fds[1 + listeners_.size() + i].revents;
      if (ready != 0 && read_head(p)) continue;
      if (now >= p.deadline) {
        release(p.listener, p.conn->client());
        refuse(std::move(p.conn), "header_timeout", 408);
        continue;
      }
      still.push_back(std::move(p));
    }
    pending_.swap(still);
    for (size_t i = 0; i < listeners_.size(); ++i)
      if (fds[1 + i].revents != 0) accept_all(i);
  }
}

void ApiGate::accept_all(size_t listener) {
  Listener& l = listeners_[listener];
  for (;;) {
    int fd = ::accept4(l.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors: the listener stays readable, so pause rather than spin.
      if (errno == EMFILE || errno == ENFILE)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return;  // EAGAIN: all taken
    }
    auto conn = std::make_unique<ApiConnection>(fd, l.unix_socket, client_of(fd, l.unix_socket),
                                                std::chrono::milliseconds(limits_.body_timeout_ms));
    const char* reason = nullptr;
    {
      size_t& mine = per_client_[{listener, conn->client()}];
      // The client's own share first: it names the one over it, not the listener it filled.
      if (mine >= limits_.connections_per_client_max) {
        reason = "connections_per_client_max";
      } else if (l.open >= limits_.connections_max) {
        reason = "connections_max";
      } else {
        ++l.open;
        ++mine;
      }
      if (reason && mine == 0) per_client_.erase({listener, conn->client()});
    }
    if (reason) {
      on_refused_(reason, conn->client());
      conn->send_now(status_answer(503, std::string("too many API connections (") + reason + ")"));
      continue;
    }
    auto deadline = Clock::now() + std::chrono::milliseconds(limits_.header_timeout_ms);
    pending_.push_back({std::move(conn), listener, deadline});
  }
}

bool ApiGate::read_head(Pending& p) {
  std::string& buf = p.conn->head();
  char chunk[4096];
  for (;;) {
    size_t room = kApiHeaderBytesMax - buf.size();
    ssize_t n = ::recv(p.conn->fd(), chunk, std::min(room, sizeof chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) {  // the client went away (or the socket failed): nothing to answer
      std::string client = p.conn->client();
      p.conn.reset();
      release(p.listener, client);
      return true;
    }
    buf.append(chunk, size_t(n));
    if (head_end(buf) != std::string::npos) {
      dispatch(p);
      return true;
    }
    if (buf.size() >= kApiHeaderBytesMax) {
      release(p.listener, p.conn->client());
      refuse(std::move(p.conn), "header_too_large", 431);
      return true;
    }
  }
}

void ApiGate::dispatch(Pending& p) {
  const std::string& buf = p.conn->head();
  size_t line_end = buf.find_first_of("\r\n");
  std::string_view line(buf.data(), line_end);
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  std::string_view method = line.substr(0, sp1);
  std::string_view target =
      sp2 == std::string_view::npos ? std::string_view() : line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view path = target.substr(0, target.find('?'));
  ApiLane lane = classify_(method, path);
  // From here the pools bound it: the gate's slots are for requests still arriving.
  release(p.listener, p.conn->client());
  Pool::Job job = std::move(p.conn);
  Pool& pool = lane == ApiLane::short_call ? *short_pool_ : *long_pool_;
  if (!pool.push(job)) refuse(std::move(job), "queue_max", 503);
}

void ApiGate::refuse(std::unique_ptr<ApiConnection> conn, const char* reason, int status) {
  std::string client = conn->client();
  on_refused_(reason, client);
  std::string why = std::string("API request refused: ") + reason + " (see [api] in config.toml)";
  conn->send_now(status_answer(status, why));
}

void ApiGate::release(size_t listener, const std::string& client) {
  --listeners_[listener].open;
  auto it = per_client_.find({listener, client});
  if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
}

}  // namespace agora
