// /perf/1.0.0 (libp2p perf spec): the client sends a u64 BE download size, then its upload bytes,
// then closes its side; the server drains the upload and answers with that many bytes.
#pragma once

#include "runtime/asio/swarm.h"

namespace agora {

inline constexpr const char* kPerfProtocol = "/perf/1.0.0";

struct PerfServiceConfig {
  uint64_t download_bytes_max = uint64_t(64) << 30;  // what one request may make us send
  size_t concurrent_streams_max = 4;                 // perf is costly: few at a time
  size_t chunk_bytes = 256 * 1024;
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
  PerfService(rt::Swarm& swarm, PerfServiceConfig config);
  void start();
  rt::awaitable<Result<PerfResult>> run(std::shared_ptr<rt::Connection> conn, uint64_t upload_bytes,
                                        uint64_t download_bytes);

 private:
  rt::awaitable<void> serve(std::shared_ptr<rt::Stream> stream);
  rt::Swarm& swarm_;
  PerfServiceConfig config_;
  size_t active_ = 0;
};

}  // namespace agora
