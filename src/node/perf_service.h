// /perf/1.0.0 (libp2p perf spec): the client sends a u64 BE download size, then its upload bytes,
// then closes its side; the server drains the upload and answers with that many bytes.
//
// Bounds on what a peer can make us spend: the answer is capped (download_bytes_max; more is
// refused with a reset), few perf streams run at once and one per peer, and a stream that moves no
// whole chunk (256 KiB) within stall_timeout is reset: a peer that stops reading or sending, or
// trickles, cannot hold a slot. The yamux session's output bound keeps
// the bytes queued for a slow reader small whatever window it announces.
#pragma once

#include <map>

#include "observe/events.h"
#include "observe/metrics.h"
#include "runtime/asio/swarm.h"

namespace agora {

inline constexpr const char* kPerfProtocol = "/perf/1.0.0";

struct PerfServiceConfig {
  bool enabled = true;                              // serve /perf/1.0.0 at all
  uint64_t download_bytes_max = uint64_t(4) << 30;  // what one request may make us send
  size_t concurrent_streams_max = 4;                // perf is costly: few at a time
  size_t streams_per_peer_max = 1;                  // and one peer cannot take them all
  size_t chunk_bytes = 256 * 1024;
  Duration stall_timeout = std::chrono::seconds(30);  // no whole chunk moved in this long: reset
};

struct PerfResult {
  uint64_t upload_bytes = 0;
  uint64_t download_bytes = 0;
  Duration upload_time{};    // first byte written until the upload is flushed into the stream
  Duration download_time{};  // end of upload until the last byte arrived
  Duration total_time{};
};

class PerfService {
 public:
  PerfService(rt::Swarm& swarm, PerfServiceConfig config, observe::Registry& metrics,
              observe::EventRecorder& events);
  void start();
  rt::awaitable<Result<PerfResult>> run(std::shared_ptr<rt::Connection> conn, uint64_t upload_bytes,
                                        uint64_t download_bytes);

 private:
  rt::awaitable<void> serve(std::shared_ptr<rt::Stream> stream);
  rt::awaitable<void> answer(rt::Stream& stream);
  void refuse(rt::Stream& stream, const char* reason, const std::string& detail);
  void finish_failed(rt::Stream& stream, const char* phase, const Error& error);
  rt::Swarm& swarm_;
  PerfServiceConfig config_;
  observe::Registry& metrics_;
  observe::EventRecorder& events_;
  size_t active_ = 0;
  std::map<PeerId, size_t> active_by_peer_;  // at most concurrent_streams_max entries
};

}  // namespace agora
