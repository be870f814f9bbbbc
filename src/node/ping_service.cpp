#include "node/ping_service.h"

#include "crypto/random.h"

namespace agora {

PingService::PingService(rt::Swarm& swarm, PingServiceConfig config)
    : swarm_(swarm), config_(config) {}

void PingService::start() {
  // The swarm's resource manager holds each peer to inbound_streams_per_peer_max: a stream past
  // it is reset before serve() runs.
  host::ProtocolLimits limits = swarm_.default_protocol_limits();
  limits.per_peer.streams_inbound_max = config_.inbound_streams_per_peer_max;
  limits.per_peer.streams_outbound_max = config_.outbound_streams_per_peer_max;
  swarm_.set_handler(
      kPingProtocol, [this](auto s) { return serve(std::move(s)); }, limits);
}

rt::awaitable<void> PingService::serve(std::shared_ptr<rt::Stream> stream) {
  uint8_t buf[kPingPayloadBytes];
  for (;;) {
    if (Status st = co_await stream->read_exact(buf, sizeof buf); !st) break;
    if (Status st = co_await stream->write_all({buf, sizeof buf}); !st) break;
  }
  stream->close_write();
}

rt::awaitable<Result<std::vector<Duration>>> PingService::ping(std::shared_ptr<rt::Connection> conn,
                                                               int count) {
  std::vector<std::string> protocols{kPingProtocol};  // named: see upgrade.cpp on GCC 12
  auto stream = co_await swarm_.open_stream(conn, protocols);
  if (!stream) co_return stream.error();
  std::weak_ptr<rt::Stream> weak = *stream;
  std::vector<Duration> rtts;
  for (int i = 0; i < count; ++i) {
    uint8_t sent[kPingPayloadBytes], got[kPingPayloadBytes];
    crypto::random_bytes(sent, sizeof sent);
    rt::Deadline deadline(swarm_.executor(), config_.reply_timeout, [weak] {
      if (auto s = weak.lock()) s->reset();
    });
    Instant start = rt::now();
    if (Status st = co_await (*stream)->write_all({sent, sizeof sent}); !st) co_return st.error();
    if (Status st = co_await (*stream)->read_exact(got, sizeof got); !st)
      co_return deadline.expired() ? make_error(Errc::timeout, "ping timed out") : st.error();
    rtts.push_back(rt::now() - start);
    if (std::memcmp(sent, got, sizeof sent) != 0)
      co_return make_error(Errc::protocol, "ping reply does not match the payload");
  }
  (*stream)->close_write();
  uint8_t tail[1];
  (void)co_await (*stream)->read_some(tail, sizeof tail);  // the peer's EOF, so we close cleanly
  co_return rtts;
}

}  // namespace agora
