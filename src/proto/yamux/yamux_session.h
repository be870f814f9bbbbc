// Yamux 1.0.0 session (`/yamux/1.0.0`): sans-I/O stream multiplexer over one byte stream.
//
// Bytes in through on_bytes(), frames out through take_output(), happenings through
// poll_event(); time is always passed in. Receive windows auto-tune (as go-yamux and quic-go do):
// when a reader consumes half a window within ~2 RTT of the previous update, the stream's window
// doubles, up to window_bytes_max and within session_recv_buffer_bytes_max for all streams.
//
// Send side bounds (a peer that stops reading costs bounded memory): write() queues data only
// while the output not yet taken stays under output_bytes_max, whatever window the peer announces
// (up to 2^32-1: the credit is kept, but it never lets more than that bound queue up); a short
// write is followed by stream_writable once the runtime takes the output (take_output) or the
// window reopens.
// Control frames the peer makes us owe (ping ACKs, RSTs for refused streams) are bounded by
// control_frames_owed_max between two take_output calls: past it the session fails with a
// protocol error, so a peer flooding pings it never reads is cut off.
#pragma once

#include <deque>
#include <optional>
#include <unordered_map>

#include "base/bytes.h"
#include "base/result.h"
#include "base/time.h"
#include "proto/yamux/yamux_frame.h"
#include "proto/yamux/yamux_recv_buffer.h"
#include "proto/yamux/yamux_stream.h"

namespace agora::yamux {

struct YamuxConfig {
  uint32_t initial_window_bytes = 256 * 1024;    // spec default; never announce less
  uint32_t window_bytes_max = 16 * 1024 * 1024;  // auto-tuned receive window ceiling
  uint32_t data_frame_bytes_max = 256 * 1024;    // largest Data frame we send (window-limited too)
  size_t inbound_streams_max = 256;              // concurrently open inbound streams
  size_t unacked_inbound_streams_max = 256;  // SYNs we have not ACKed (application hasn't accepted)
  size_t outbound_streams_max = 1024;
  size_t unacked_outbound_streams_max = 256;
  // All streams' receive windows together are reserved from this, so buffered data never exceeds
  // it; a stream that does not fit is refused (inbound: RST, outbound: Errc::limit).
  size_t session_recv_buffer_bytes_max = 64 * 1024 * 1024;
  // Output queued but not yet taken by the runtime (the socket is slow, or the peer stops reading):
  // writes wait beyond this.
  size_t output_bytes_max = 1024 * 1024;
  // Replies the peer asked for (ping ACKs, RSTs of streams we refused) queued since the runtime
  // last took the output; past this the peer is flooding us with requests it does not read.
  size_t control_frames_owed_max = 4096;
  Duration keepalive_interval = std::chrono::seconds(30);  // zero disables keepalive pings
  Duration ping_timeout = std::chrono::seconds(30);        // no pong => session error
  // Auto-tuning uses max(measured RTT, this): on loopback the measured RTT is microseconds, and a
  // reader draining half a window within 2 ms is keeping up with the link.
  Duration window_tune_rtt_min = std::chrono::milliseconds(1);
  bool ping_at_start = true;  // measures the RTT auto-tuning needs
};

struct YamuxEvent {
  enum class Kind {
    stream_opened,         // inbound stream; ACKed on the application's first read/write/close
    stream_readable,       // data arrived (once until the next read)
    stream_writable,       // send window reopened after a short write
    stream_remote_closed,  // FIN received; read the rest, then remote_closed() is true
    stream_reset,          // RST received; the stream is gone
    session_error,
    go_away,  // the remote will accept no new streams
    pong,
  } kind;
  StreamId stream = 0;
  Error reason{Errc::closed, ""};  // for stream_reset / session_error / go_away
  Duration rtt{};                  // for pong
};

class YamuxSession {
 public:
  YamuxSession(bool is_client, YamuxConfig config, Instant now);  // client (dialer) uses odd ids

  // Any chunking. A protocol violation returns an error, queues GoAway(protocol error) and marks
  // the session failed; later calls return the same error.
  Status on_bytes(BytesView in, Instant now);
  // Appends pending frames (swaps when `out` is empty). Streams whose writes were cut short by
  // output_bytes_max get stream_writable.
  void take_output(Bytes& out);
  bool has_output() const { return !out_.empty(); }
  std::optional<YamuxEvent> poll_event();

  // Sends SYN. Errc::limit over the stream limits, Errc::closed after GoAway or failure.
  Result<StreamId> open_stream(Instant now);
  // Queues up to the stream's send window; returns bytes accepted (0 when the window is
  // exhausted: wait for stream_writable). 0 for unknown or write-closed streams.
  size_t write(StreamId id, BytesView data);
  // Consumes received data; may queue a window update.
  size_t read(StreamId id, uint8_t* out, size_t max, Instant now);
  size_t readable_bytes(StreamId id) const;
  bool remote_closed(StreamId id) const;  // FIN received and all data read (or stream gone): EOF
  void close_write(StreamId id);          // FIN
  void reset(StreamId id);                // RST, forgets the stream
  void go_away(uint32_t code);            // 0 normal, 1 protocol error, 2 internal
  void on_timer(Instant now);             // keepalive ping / ping timeout
  std::optional<Instant> next_timer() const;
  void ping(Instant now);  // one ping in flight at a time
  size_t stream_count() const { return streams_.size(); }

  // Introspection for metrics and tests.
  bool failed() const { return failed_; }
  std::optional<Duration> rtt() const { return rtt_; }
  size_t streams_refused() const { return streams_refused_; }
  size_t output_bytes() const { return out_.size(); }
  uint64_t output_stalls() const { return output_stalls_; }  // writes cut short by the bound
  bool control_frames_overflowed() const { return control_frames_overflowed_; }
  size_t recv_buffered_bytes() const { return recv_buffered_bytes_; }
  uint64_t recv_window_reserved_bytes() const { return recv_window_reserved_bytes_; }
  uint32_t recv_window_target_bytes(StreamId id) const;
  uint64_t send_window_bytes(StreamId id) const;
  const YamuxConfig& config() const { return config_; }

 private:
  YamuxStream* find(StreamId id);
  const YamuxStream* find(StreamId id) const;
  void send_frame(YamuxType type, uint16_t flags, StreamId id, uint32_t length);
  void emit(YamuxEvent::Kind kind, StreamId id, Error reason = {Errc::closed, ""});
  Status fail(Error error, YamuxGoAwayCode code);

  // Receive path (yamux_session_recv.cpp).
  Status on_header(const YamuxHeader& header, Instant now);
  Status on_ping(const YamuxHeader& header, Instant now);
  Status on_go_away(const YamuxHeader& header);
  Status on_stream_frame(const YamuxHeader& header, Instant now);
  Result<YamuxStream*> accept_inbound(StreamId id, Instant now);
  void deliver_payload(const uint8_t* data, size_t n);
  void on_stream_flags(StreamId id, uint16_t flags);

  // Stream bookkeeping.
  YamuxStream& insert_stream(StreamId id, bool inbound);
  void free_stream(StreamId id);
  void free_if_done(StreamId id);
  uint16_t take_ack_flag(YamuxStream& stream);
  uint32_t window_grant(const YamuxStream& stream) const;
  void send_ack(StreamId id, YamuxStream& stream);
  void send_window_update(StreamId id, YamuxStream& stream, Instant now);
  uint32_t tuned_window_target(const YamuxStream& stream, Instant now);

  YamuxConfig config_;
  bool is_client_;
  std::unordered_map<StreamId, YamuxStream> streams_;
  YamuxChunkPool pool_;
  Bytes out_;
  std::deque<YamuxEvent> events_;

  // Frame parser.
  uint8_t header_buf_[kYamuxHeaderBytes] = {};
  size_t header_fill_ = 0;
  YamuxHeader frame_{};  // Data frame whose payload is arriving
  uint32_t payload_left_ = 0;
  // Whether frame_'s stream existed at its header (its window was checked then). A frame for a
  // stream we did not know is skipped to its end, even if we open a stream with that id
  // meanwhile: it was never held to that stream's window.
  bool frame_known_ = false;

  StreamId next_outbound_id_;
  StreamId last_inbound_id_ = 0;
  size_t inbound_streams_ = 0;
  size_t outbound_streams_ = 0;
  size_t unacked_inbound_streams_ = 0;
  size_t unacked_outbound_streams_ = 0;
  size_t streams_refused_ = 0;
  size_t control_frames_owed_ = 0;  // replies the peer asked for, since the last take_output
  bool control_frames_overflowed_ = false;
  bool output_blocked_ = false;  // some write was cut short by output_bytes_max
  uint64_t output_stalls_ = 0;
  uint64_t recv_window_reserved_bytes_ = 0;  // sum of recv_window_target_bytes
  size_t recv_buffered_bytes_ = 0;

  uint32_t next_ping_value_ = 1;
  std::optional<uint32_t> ping_in_flight_;
  Instant ping_sent_at_{};
  std::optional<Duration> rtt_;
  Instant next_keepalive_at_{};

  bool local_go_away_ = false;
  bool remote_go_away_ = false;
  bool failed_ = false;
  Error failure_{Errc::closed, ""};
};

}  // namespace agora::yamux
