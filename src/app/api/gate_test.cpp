// ApiGate against raw sockets: the header deadline, the header size cap, the connection caps,
// short calls beside stuck long ones, the queue bound, and the Unix socket's mode.
#include "app/api/gate.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

namespace agora {
namespace {

using namespace std::chrono_literals;

int dial(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(uint16_t(port));
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  timeval tv{10, 0};  // a test that hangs fails instead
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void say(int fd, const std::string& text) { ::send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

// The answer's status line, or "" when the gate closed without one.
std::string status_line(int fd) {
  std::string got;
  char buf[256];
  while (got.find("\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  ::close(fd);
  return got.substr(0, got.find("\r\n"));
}

std::string get(int port, const std::string& path) {
  int fd = dial(port);
  say(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  return status_line(fd);
}

struct Harness {
  explicit Harness(ApiLimits limits)
      : gate(
            limits,
            [this](ApiConnection& c) {
              if (c.head().starts_with("GET /long")) release.wait();
              std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
              c.write(ok.data(), ok.size());
            },
            [](std::string_view, std::string_view path) {
              return path == "/long" ? ApiLane::long_call : ApiLane::short_call;
            },
            [this](const char* reason, const std::string&) {
              std::lock_guard lock(mu);
              refusals.emplace_back(reason);
            }) {
    auto bound = gate.listen_tcp("127.0.0.1", 0);
    EXPECT_TRUE(bound.ok());
    port = bound.ok() ? *bound : 0;
    gate.start();
  }
  ~Harness() {
    unblock.set_value();
    gate.stop();
  }
  std::vector<std::string> refused() {
    std::lock_guard lock(mu);
    return refusals;
  }
  std::promise<void> unblock;
  std::shared_future<void> release = unblock.get_future().share();
  std::mutex mu;
  std::vector<std::string> refusals;
  ApiGate gate;
  int port = 0;
};

TEST(ApiGate, CutsOffATricklerAtTheHeaderDeadlineWhateverItsPace) {
  Harness h({.header_timeout_ms = 300});
  int fd = dial(h.port);
  auto start = std::chrono::steady_clock::now();
  say(fd, "GET /id HTTP/1.1\r\n");
  int sent = 0;
  for (; sent < 100; ++sent) {  // a byte every 50 ms: each read is quick, the whole is not
    std::this_thread::sleep_for(50ms);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) break;  // answered: stop before a write could draw a reset
    say(fd, "a");
  }
  EXPECT_GE(sent, 3);
  EXPECT_EQ(status_line(fd), "HTTP/1.1 408 Request Timeout");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(h.refused(), std::vector<std::string>{"header_timeout"});
  EXPECT_EQ(get(h.port, "/id"), "HTTP/1.1 200 OK");
}

// A header block ended by a bare LF is not a whole request: it stays with the gate, under its
// deadline, instead of reaching a worker that would wait on the socket for the rest.
TEST(ApiGate, AHeaderBlockEndedByABareLineFeedIsStillUnderTheDeadline) {
  Harness h({.header_timeout_ms = 300});
  int fd = dial(h.port);
  say(fd, "GET /id HTTP/1.1\r\n\n");
  EXPECT_EQ(status_line(fd), "HTTP/1.1 408 Request Timeout");
  EXPECT_EQ(h.refused(), std::vector<std::string>{"header_timeout"});
}

TEST(ApiGate, RefusesAHeaderBlockOverTheCap) {
  Harness h({});
  int fd = dial(h.port);
  // Exactly the cap: bytes past it would go unread, and the close could reset the answer.
  std::string head = "GET /id HTTP/1.1\r\nX-Pad: ";
  say(fd, head + std::string(kApiHeaderBytesMax - head.size(), 'a'));
  EXPECT_EQ(status_line(fd), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(h.refused(), std::vector<std::string>{"header_too_large"});
}

TEST(ApiGate, CapsConnectionsPerClientAndGivesTheSlotsBack) {
  Harness h({.connections_max = 10, .connections_per_client_max = 2});
  int idle1 = dial(h.port), idle2 = dial(h.port);
  EXPECT_EQ(get(h.port, "/id"), "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(h.refused(), std::vector<std::string>{"connections_per_client_max"});
  ::close(idle1);
  // The gate sees the close on its next wake-up; the slot is free after that.
  std::string answer;
  for (int i = 0; i < 50 && answer != "HTTP/1.1 200 OK"; ++i) {
    std::this_thread::sleep_for(20ms);
    answer = get(h.port, "/id");
  }
  EXPECT_EQ(answer, "HTTP/1.1 200 OK");
  ::close(idle2);
}

TEST(ApiGate, ShortCallsPassStuckLongOnesAndTheQueueIsBounded) {
  Harness h({.workers = 1, .long_workers = 1, .queue_max = 1});
  std::vector<int> longs;
  for (int i = 0; i < 2; ++i) {  // one running, one queued
    longs.push_back(dial(h.port));
    say(longs.back(), "GET /long HTTP/1.1\r\n\r\n");
    std::this_thread::sleep_for(100ms);  // the first is running before the second queues
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(get(h.port, "/id"), "HTTP/1.1 200 OK");
  EXPECT_EQ(get(h.port, "/long"), "HTTP/1.1 503 Service Unavailable");
  EXPECT_EQ(h.refused(), std::vector<std::string>{"queue_max"});
  h.unblock.set_value();
  h.unblock = std::promise<void>();
  for (int fd : longs) EXPECT_EQ(status_line(fd), "HTTP/1.1 200 OK");
}

TEST(ApiGate, UnixSocketIsPrivateAndReplacesAStaleOne) {
  auto dir = std::filesystem::temp_directory_path() / ("api-gate-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "api.sock").string();
  {
    std::ofstream(path) << "stale";
    ApiGate gate(
        {}, [](ApiConnection&) {}, [](auto, auto) { return ApiLane::short_call; },
        [](const char*, const std::string&) {});
    ASSERT_TRUE(gate.listen_unix(path).ok());
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    gate.start();
    gate.stop();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace agora
