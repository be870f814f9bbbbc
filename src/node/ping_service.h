// /ipfs/ping/1.0.0: the dialer writes 32 random bytes, the listener echoes them, repeatedly.
#pragma once

#include "runtime/asio/swarm.h"

namespace agora {

inline constexpr const char* kPingProtocol = "/ipfs/ping/1.0.0";
inline constexpr size_t kPingPayloadBytes = 32;

struct PingServiceConfig {
  size_t inbound_streams_per_peer_max = 2;    // per the spec
  size_t outbound_streams_per_peer_max = 16;  // pings of ours in flight to one peer
  Duration reply_timeout = std::chrono::seconds(10);
};

class PingService {
 public:
  PingService(rt::Swarm& swarm, PingServiceConfig config);
  void start();
  // Round-trip times of `count` pings on one stream.
  rt::awaitable<Result<std::vector<Duration>>> ping(std::shared_ptr<rt::Connection> conn,
                                                    int count);

 private:
  rt::awaitable<void> serve(std::shared_ptr<rt::Stream> stream);
  rt::Swarm& swarm_;
  PingServiceConfig config_;
};

}  // namespace agora
