// /perf/1.0.0 (libp2p perf spec) as a host::Behaviour on the byte-stream path: the client sends a
// u64 BE download size, then its upload bytes, then closes its side; the server takes the upload
// and answers with that many bytes. No byte is copied into a message: reads are counted in the
// runtime's buffer, and every chunk sent is a slice of one shared buffer of zeros.
//
// Bounds on what a peer can make us spend: the answer is capped (download_bytes_max; more is
// refused with a reset), few perf streams are served at once and few per peer, a stream holds at
// most two chunks queued for its peer (sends are paced by their tokens), and a stream on which no
// whole chunk (chunk_bytes) moves within stall_timeout is reset, in either direction: a peer
// that stops reading or sending, or trickles, cannot hold a slot, while a long transfer that
// keeps moving is never cut (the runtime's close linger restarts with every byte heard). Refusals
// come out of poll_refusal() with their reason ("limit", "too_large", "stalled") for metrics and
// events. Our own runs are at most runs_max; each ends in one PerfRunDone from poll_result().
#pragma once

#include <deque>
#include <map>

#include "host/behaviour.h"

namespace agora::behaviour {

inline constexpr const char* kPerfProtocol = "/perf/1.0.0";

struct PerfConfig {
  bool enabled = true;                              // serve /perf/1.0.0 at all
  uint64_t download_bytes_max = uint64_t(4) << 30;  // what one request may make us send
  size_t concurrent_streams_max = 4;                // perf is costly: few served at a time
  size_t streams_per_peer_max = 1;                  // and one peer cannot take them all
  size_t chunk_bytes = 256 * 1024;
  size_t chunks_in_flight = 2;                        // queued for one stream, not yet written
  Duration stall_timeout = std::chrono::seconds(30);  // no whole chunk moved in this long: reset
  size_t runs_max = 16;                               // our own runs at once
};

struct PerfResult {
  uint64_t upload_bytes = 0;
  uint64_t download_bytes = 0;
  Duration upload_time{};    // first byte written until the upload has been written out
  Duration download_time{};  // end of upload until the last byte arrived
  Duration total_time{};
};

using PerfRunId = uint64_t;

struct PerfRunDone {
  PerfRunId id = 0;
  Result<PerfResult> result;
};

// An inbound perf stream we reset: the peer asked too much, over a limit, or stalled.
struct PerfRefusal {
  PeerId peer;
  Multiaddr remote;
  std::string reason;  // "limit", "too_large" or "stalled": a metric label
  std::string detail;
};

class PerfBehaviour final : public host::Behaviour {
 public:
  explicit PerfBehaviour(PerfConfig config);

  // Measures against `peer` on `connection` (0: any connection to it). Errc::limit past runs_max.
  Result<PerfRunId> run(const PeerId& peer, host::ConnectionId connection, uint64_t upload_bytes,
                        uint64_t download_bytes, Instant now);
  std::optional<PerfRunDone> poll_result();
  std::optional<PerfRefusal> poll_refusal();
  size_t streams() const { return transfers_.size(); }

  std::vector<host::ProtocolSpec> protocols() const override;
  void on_stream_opened(const host::StreamOpened& stream, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& failed, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_bytes(host::StreamRef ref, BytesView data, Instant now) override;
  void on_message_sent(host::StreamRef ref, uint64_t token, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  enum class Phase { request, upload, download, done };
  // One perf stream, either side. The client uploads then downloads; the server the reverse.
  struct Transfer {
    host::StreamRef ref;
    PeerId peer;
    Multiaddr remote;
    bool ours = false;  // we opened it (a run); else we serve it
    PerfRunId run = 0;
    Phase phase = Phase::request;
    Bytes header;                 // the server's request, while it arrives
    uint64_t upload_bytes = 0;    // client: to send; server: received
    uint64_t download_bytes = 0;  // client: expected; server: to send
    uint64_t received = 0;
    uint64_t unsent = 0;              // of the bytes this side sends, not yet queued
    std::deque<size_t> sizes_queued;  // sent chunks whose token is not back yet
    uint64_t moved_since_mark = 0;    // toward the next whole chunk
    std::optional<Instant> deadline;  // a whole chunk must move by then
    Instant started{}, upload_start{}, upload_end{};
  };
  struct PendingRun {
    PeerId peer;
    uint64_t upload_bytes = 0;
    uint64_t download_bytes = 0;
    Instant started{};
  };

  void serve(const host::StreamOpened& stream, Instant now);
  void start_run(const host::StreamOpened& stream, Instant now);
  void send_more(Transfer& t, Instant now);
  void moved(Transfer& t, size_t bytes, Instant now);
  void take_request(Transfer& t, BytesView& data);
  void finish_run(Transfer& t, Result<PerfResult> result);
  void refuse(const host::StreamRef& ref, const PeerId& peer, const Multiaddr& remote,
              std::string reason, std::string detail);
  void forget_served(const Transfer& t);

  PerfConfig config_;
  std::shared_ptr<const Bytes> zeros_;  // every chunk we send is a slice of it
  PerfRunId next_run_ = 1;
  uint64_t next_token_ = 1;
  std::map<PerfRunId, PendingRun> pending_;  // asked to open, not yet opened
  std::map<host::StreamRef, Transfer> transfers_;
  size_t served_ = 0;
  std::map<PeerId, size_t> served_by_peer_;  // at most concurrent_streams_max entries
  std::deque<host::BehaviourAction> actions_;
  std::deque<PerfRunDone> results_;
  std::deque<PerfRefusal> refusals_;  // at most one per stream opened to us, taken by the adapter
};

}  // namespace agora::behaviour
