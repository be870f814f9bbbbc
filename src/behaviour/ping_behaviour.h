// /ipfs/ping/1.0.0 as a host::Behaviour: the dialer writes 32 random bytes, the listener echoes
// them, repeatedly, on one stream. Sans-I/O: no socket, clock, coroutine or entropy of its own.
//
// Serving: every 32-byte message on an inbound stream is echoed; the peer's EOF ends the echo.
// The swarm holds each peer to inbound_streams_per_peer_max streams (the spec's 2).
// Pinging: ping(peer, count, now) opens one stream on a connection to `peer`, sends `count`
// payloads one after another, and yields one PingResult: the round-trip times, or the first
// error (the reply did not match, the stream failed, or a reply took longer than reply_timeout).
// Pings in flight and results not yet taken by poll_result() are at most pings_in_flight_max.
#pragma once

#include <deque>
#include <map>

#include "host/behaviour.h"

namespace agora::behaviour {

inline constexpr const char* kPingProtocol = "/ipfs/ping/1.0.0";
inline constexpr size_t kPingPayloadBytes = 32;

struct PingConfig {
  size_t inbound_streams_per_peer_max = 2;    // per the spec
  size_t outbound_streams_per_peer_max = 16;  // pings of ours in flight to one peer
  size_t pings_in_flight_max = 256;           // ours, to every peer
  host::ScopeLimits all_peers = host::kAllPeersLimits;
  Duration reply_timeout = std::chrono::seconds(10);  // per ping, opening the stream included
  Duration close_timeout = std::chrono::seconds(10);  // for the peer's EOF once we are done
};

using PingId = uint64_t;

struct PingResult {
  PingId id = 0;
  PeerId peer;
  Result<std::vector<Duration>> rtts;
};

class PingBehaviour final : public host::Behaviour {
 public:
  PingBehaviour(PingConfig config, host::Entropy entropy);

  // Starts `count` (>= 1) pings to `peer` over a connection the runtime already has.
  // Errc::limit past pings_in_flight_max, Errc::invalid_input for a count below 1.
  Result<PingId> ping(const PeerId& peer, int count, Instant now);
  std::optional<PingResult> poll_result();
  size_t pings_in_flight() const { return pings_.size(); }
  size_t streams_served() const { return served_.size(); }

  std::vector<host::ProtocolSpec> protocols() const override;
  void on_stream_opened(const host::StreamOpened& stream, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& failed, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  struct Ping {
    PeerId peer;
    int count = 0;
    std::optional<host::StreamRef> ref;
    Bytes sent;
    Instant sent_at{};
    Instant deadline{};
    std::vector<Duration> rtts;
  };
  void send_next(Ping& p, Instant now);
  void finish(PingId id, Result<std::vector<Duration>> result);

  PingConfig config_;
  host::Entropy entropy_;
  PingId next_id_ = 1;
  std::map<PingId, Ping> pings_;
  std::map<host::StreamRef, PingId> by_stream_;
  std::map<host::StreamRef, bool> served_;      // inbound streams; true once finished
  std::map<host::StreamRef, Instant> closing_;  // ours, done, waiting for the peer's EOF
  std::deque<host::BehaviourAction> actions_;
  std::deque<PingResult> results_;
};

}  // namespace agora::behaviour
