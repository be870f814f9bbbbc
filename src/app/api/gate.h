// The local API's front door. One poller thread accepts connections on the TCP listener and the
// Unix socket and reads each request's header block itself, so no worker thread ever waits on a
// client that trickles its headers or sends nothing. A request reaches a worker only once its
// whole header block has arrived, and then on one of two pools: short calls (id, peers, events)
// never queue behind long ones (add, get, ping, dht queries).
//
// Bounds (ApiLimits): a header block must arrive within header_timeout_ms and fit in
// kApiHeaderBytesMax; each listener holds at most connections_max connections whose header block
// is still arriving, each client (source address on TCP, user id on the Unix socket) at most
// connections_per_client_max of them; each pool runs its threads and queues at most queue_max
// requests (past that: 503). So the gate holds at most 2 * connections_max * kApiHeaderBytesMax
// bytes of header buffers, and at most 2 * queue_max + workers + long_workers requests are past
// it. A user's own long calls do not count against its connection cap once their requests are in.
// One request per connection: every answer says Connection: close, so an idle keep-alive connection
// holds nothing.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agora/api_limits.h"
#include "agora/result.h"

namespace agora {

inline constexpr size_t kApiHeaderBytesMax = 16 * 1024;

enum class ApiLane : uint8_t { short_call, long_call };

// One accepted connection: the bytes the gate read ahead (the header block, maybe some body),
// then the socket. Reads and writes give up after body_timeout_ms without progress.
class ApiConnection : public httplib::Stream {
 public:
  ApiConnection(int fd, bool unix_socket, std::string client, std::chrono::milliseconds io_timeout);
  ~ApiConnection() override;
  ApiConnection(const ApiConnection&) = delete;
  ApiConnection& operator=(const ApiConnection&) = delete;

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return fd_; }

  int fd() const { return fd_; }
  const std::string& client() const { return client_; }
  std::string& head() { return head_; }
  // Best effort, without blocking: an answer to a request the gate refuses.
  void send_now(std::string_view bytes);

 private:
  bool wait_for(short events) const;
  int fd_;
  bool unix_socket_;
  std::string client_;  // "127.0.0.1" or "uid 1000": whom the per-client cap counts
  std::chrono::milliseconds io_timeout_;
  std::string head_;     // read ahead by the gate
  size_t head_pos_ = 0;  // how much of head_ read() has handed out
};

class ApiGate {
 public:
  // Serves one request on a worker thread; the connection closes when it returns.
  using Serve = std::function<void(ApiConnection&)>;
  using Classify = std::function<ApiLane(std::string_view method, std::string_view path)>;
  // A connection refused or cut off; `reason` is one of a small fixed set (metric label).
  using OnRefused = std::function<void(const char* reason, const std::string& client)>;

  ApiGate(const ApiLimits& limits, Serve serve, Classify classify, OnRefused on_refused);
  ~ApiGate();
  ApiGate(const ApiGate&) = delete;
  ApiGate& operator=(const ApiGate&) = delete;

  // Loopback host ("127.0.0.1", "::1", "localhost"); port 0 picks one. Returns the bound port.
  Result<int> listen_tcp(const std::string& host, int port);
  // Removes a stale file at `path`, binds with mode 0600; stop() removes it again.
  Status listen_unix(const std::string& path);
  void start();
  // Stops accepting, closes waiting connections and waits for requests in progress.
  void stop();

 private:
  struct Listener {
    int fd = -1;
    bool unix_socket = false;
    size_t open = 0;  // connections whose header block is still arriving
  };
  struct Pending {
    std::unique_ptr<ApiConnection> conn;
    size_t listener = 0;
    std::chrono::steady_clock::time_point deadline;
  };
  class Pool;

  void poll_loop();
  void accept_all(size_t listener);
  // Reads what is there; true when the connection left the poller (handed on or closed).
  bool read_head(Pending& p);
  // Answers `status` and closes; the connection's slot must already be given back.
  void refuse(std::unique_ptr<ApiConnection> conn, const char* reason, int status);
  // Gives back a slot taken at accept: when the header block is in, or the connection ended.
  void release(size_t listener, const std::string& client);
  void dispatch(Pending& p);
  std::string client_of(int fd, bool unix_socket) const;

  ApiLimits limits_;
  Serve serve_;
  Classify classify_;
  OnRefused on_refused_;
  std::vector<Listener> listeners_;
  std::string unix_path_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
  // The poller thread's alone, as are listeners_[i].open: workers never touch the counts.
  std::vector<Pending> pending_;
  std::map<std::pair<size_t, std::string>, size_t> per_client_;
  std::unique_ptr<Pool> short_pool_;
  std::unique_ptr<Pool> long_pool_;
};

}  // namespace agora
