// A secured, multiplexed connection: a TCP socket driven through the Noise transport and a yamux
// session on the node's single event-loop thread. Streams are handed out as Stream objects.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "codec/multiaddr.h"
#include "host/rate_limit.h"
#include "proto/noise/noise_handshake.h"
#include "proto/pnet/pnet_protector.h"
#include "proto/yamux/yamux_session.h"
#include "runtime/asio/asio_util.h"
#include "runtime/asio/tcp_stats.h"

namespace agora::rt {

class Stream;

struct ConnectionInfo {
  uint64_t id = 0;  // local, for display and logs
  PeerId peer;
  Multiaddr local_addr;
  Multiaddr remote_addr;
  bool inbound = false;
  std::string muxer;
  bool muxer_inlined = false;
  bool private_network = false;  // under the pnet protector
  Instant opened{};
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using InboundStreamHandler = std::function<void(std::shared_ptr<Stream>)>;
  using ClosedHandler = std::function<void(Connection&, const Error& reason)>;

  // `protector`: the private network's cipher states from the upgrade (none: a public network);
  // every byte read and written goes through it, under Noise.
  Connection(asio::ip::tcp::socket socket, std::unique_ptr<noise::NoiseTransport> noise,
             ConnectionInfo info, yamux::YamuxConfig yamux_config, Bytes initial_plaintext,
             std::unique_ptr<pnet::PnetProtector> protector = nullptr);
  ~Connection();

  // Bandwidth limits, before start(): the node's buckets (shared by every connection; may be
  // null or unlimited) and this connection's own rates (0: none). Writes are paced after they go
  // out, reads take no more than the buckets allow (the peer then stops at TCP's window).
  struct Rates {
    // Shared, not borrowed: a closing connection's loops may outlive the swarm.
    std::shared_ptr<host::RateLimit> upload_all;
    std::shared_ptr<host::RateLimit> download_all;
    uint64_t upload_bytes_per_s = 0;
    uint64_t download_bytes_per_s = 0;
  };
  void set_rates(const Rates& rates);
  // The node's totals of bytes read and written, counted as they pass (the metrics'
  // agora_transport_bytes_*): shared, as the loops may outlive the swarm.
  struct ByteTotals {
    std::atomic<uint64_t> sent{0};
    std::atomic<uint64_t> received{0};
  };
  void set_byte_totals(std::shared_ptr<ByteTotals> totals) { totals_ = std::move(totals); }

  // Starts the read, write and timer loops. `on_closed` runs once, when the connection ends.
  void start(InboundStreamHandler on_inbound, ClosedHandler on_closed);
  // Opens a stream at once (optimistic: the SYN travels with the first frame).
  Result<std::shared_ptr<Stream>> open_stream();
  // Sends GoAway, flushes, closes. Idempotent; the first reason wins.
  void close(Error reason);

  const ConnectionInfo& info() const { return info_; }
  asio::any_io_executor executor() { return socket_.get_executor(); }
  bool closed() const { return closed_; }
  const Error& close_reason() const { return close_reason_; }
  size_t stream_count() const { return streams_.size(); }
  // The streams still open (for display: `agora swarm peers`).
  std::vector<std::shared_ptr<Stream>> open_streams() const;
  std::optional<Duration> last_rtt() const { return last_rtt_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }
  // The peer flooded us with requests for control replies it did not read (the session failed).
  bool control_frames_overflowed() const { return yamux_.control_frames_overflowed(); }
  // Writes cut short because the peer reads slower than we write (backpressure at work).
  uint64_t output_stalls() const { return yamux_.output_stalls(); }
  // Whether Nagle's algorithm is off on the socket (it must be: small replies would wait ~40 ms).
  bool tcp_no_delay() const;
  // The kernel's counters of the connection (round trip, segments sent and retransmitted).
  std::optional<TcpStats> tcp_stats() const;

 private:
  friend class Stream;
  awaitable<void> read_loop();
  awaitable<void> write_loop();
  awaitable<void> timer_loop();
  Status feed_plaintext(BytesView plain);
  void process_events();
  void signal_write() { write_waiter_.notify(); }
  void forget_stream(yamux::StreamId id) { streams_.erase(id); }
  void shutdown_socket();

  asio::ip::tcp::socket socket_;
  std::unique_ptr<noise::NoiseTransport> noise_;
  std::unique_ptr<pnet::PnetProtector> protector_;
  ConnectionInfo info_;
  yamux::YamuxSession yamux_;
  Bytes initial_plaintext_;
  // Bandwidth (set_rates): limited_ when any applies.
  bool limited_ = false;
  std::shared_ptr<host::RateLimit> upload_all_, download_all_;
  std::shared_ptr<ByteTotals> totals_;
  host::RateLimit upload_own_, download_own_;
  // How much may be read now (0: wait `wait` first); what was read is then charged. After a
  // write: how long to wait before the next.
  size_t read_allowance(size_t buffer_bytes, Duration& wait);
  void after_read(size_t bytes);
  Duration after_write(size_t bytes);
  Waiter write_waiter_;
  Waiter timer_waiter_;
  std::map<yamux::StreamId, std::weak_ptr<Stream>> streams_;
  InboundStreamHandler on_inbound_;
  ClosedHandler on_closed_;
  bool closed_ = false;
  bool flushing_close_ = false;
  Error close_reason_{Errc::closed, ""};
  std::optional<Duration> last_rtt_;
  uint64_t bytes_sent_ = 0;
  uint64_t bytes_received_ = 0;
};

// One yamux stream. Owned by whoever uses it; destroying it without a clean close resets it.
class Stream : public std::enable_shared_from_this<Stream> {
 public:
  Stream(std::shared_ptr<Connection> conn, yamux::StreamId id, bool inbound);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Up to `max` bytes; 0 means the remote closed its side (EOF). Errc::closed after a reset.
  awaitable<Result<size_t>> read_some(uint8_t* out, size_t max);
  // Errc::truncated when EOF comes first.
  awaitable<Status> read_exact(uint8_t* out, size_t n);
  awaitable<Status> write_all(BytesView data);
  void close_write();
  void reset();
  // Bytes read ahead during protocol negotiation, served before anything else.
  void unread(Bytes prefix);

  yamux::StreamId id() const { return id_; }
  bool inbound() const { return inbound_; }
  const std::string& protocol() const { return protocol_; }
  void set_protocol(std::string p) { protocol_ = std::move(p); }
  // How many times a read or write has waited: a stalled stream waits once, not in a loop.
  uint64_t waits() const { return waits_; }
  // Runs once, when this object is destroyed: the swarm refunds the stream's resource charge.
  void on_release(std::function<void()> release) { on_release_ = std::move(release); }
  Connection& connection() { return *conn_; }
  std::shared_ptr<Connection> connection_ptr() { return conn_; }

 private:
  friend class Connection;
  // A reader and a writer may wait at once (a behaviour's stream is read and written by two
  // coroutines); each has its own waiter, or each wait would cancel the other's and they would
  // wake each other without end.
  void wake() {
    read_waiter_.notify();
    write_waiter_.notify();
  }
  void mark_reset(Error reason);
  Status usable() const;

  std::shared_ptr<Connection> conn_;
  yamux::StreamId id_;
  bool inbound_;
  std::string protocol_;
  Bytes prefix_;
  size_t prefix_pos_ = 0;
  bool write_closed_ = false;
  bool eof_ = false;
  bool reset_ = false;
  Error reset_reason_{Errc::closed, ""};
  Waiter read_waiter_;
  Waiter write_waiter_;
  uint64_t waits_ = 0;
  std::function<void()> on_release_;
};

}  // namespace agora::rt
