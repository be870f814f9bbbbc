// AutoNAT v1 (`/libp2p/autonat/1.0.0`) as a host::Behaviour: a peer asks this node to dial it
// back, and this node asks peers to dial it back, to learn whether it can be reached from
// outside (agora doctor's reachability check, docs/cli.md). One DIAL and one DIAL_RESPONSE per
// stream (host::RequestResponse); the dial-back is the runtime's ProbeDial: a connection of its
// own that proves who answers and is closed, never a connection behaviours use.
//
// Rules of serving, each with a test:
// - no amplification: only addresses at the IP address the request came from are dialled (a
//   peer cannot make this node dial a third party), at most dial_addrs_max of them, TCP only;
// - the DIAL's peer id must be the connection's authenticated peer id (E_BAD_REQUEST if not);
// - rate-limited: per peer one dial-back per peer_interval with a burst of peer_burst, across
//   peers one per global_interval with a burst of global_burst, and at most probes_max in flight
//   (past any, E_DIAL_REFUSED with the reason); the rate buckets kept: at most peers_tracked_max;
// - bounded: messages by AutonatLimits; at most inbound_max requests answered at once, one per
//   peer; a malformed DIAL gets E_BAD_REQUEST.
// Each request served yields an AutonatServed event (status, detail) for the owner to count.
#pragma once

#include <deque>
#include <map>

#include "host/rate_limit.h"
#include "host/request_response.h"
#include "proto/autonat/autonat.h"

namespace agora::behaviour {

inline constexpr std::string_view kAutonatProtocol = autonat::kProtocolId;

struct AutonatConfig {
  bool serve = true;
  autonat::AutonatLimits limits;
  size_t dial_addrs_max = 4;  // addresses dialled back for one request
  Duration peer_interval = std::chrono::seconds(20);
  size_t peer_burst = 3;
  Duration global_interval = std::chrono::seconds(2);
  size_t global_burst = 10;
  size_t probes_max = 4;     // dial-backs in flight
  size_t inbound_max = 8;    // requests being answered, across peers
  size_t outbound_max = 16;  // our questions in flight
  size_t peers_tracked_max = 1024;
  // Ours: the answer waits for the peer's dial-back (a dial and a handshake, up to ~20 s).
  Duration request_timeout = std::chrono::seconds(30);
  Duration response_timeout = std::chrono::seconds(25);  // for us to dial back and answer
};

using AutonatAskId = uint64_t;

struct AutonatAnswer {
  AutonatAskId id = 0;
  PeerId peer;
  Result<autonat::DialResponse> response;
};
// A request from `peer` this node answered: the status sent, and why (the address reached, the
// dial's error, the rule that refused it).
struct AutonatServed {
  PeerId peer;
  autonat::ResponseStatus status = autonat::ResponseStatus::internal_error;
  std::string detail;
};
using AutonatEvent = std::variant<AutonatAnswer, AutonatServed>;

class AutonatBehaviour final : public host::Behaviour {
 public:
  AutonatBehaviour(PeerId local, AutonatConfig config);

  // Asks `peer` (over a connection, or dialling `addrs`) to dial this node back at `ours`.
  // Errc::limit past outbound_max.
  Result<AutonatAskId> ask(const PeerId& peer, std::vector<Multiaddr> ours,
                           std::vector<Multiaddr> addrs, Instant now);
  std::optional<AutonatEvent> poll_event() { return host::take_front(events_); }

  std::vector<host::ProtocolSpec> protocols() const override { return {rr_.spec()}; }
  void on_stream_opened(const host::StreamOpened& s, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_probe_finished(const host::ProbeFinished& probe, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override { return rr_.next_timer(); }
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  void drain(Instant now);
  void on_request(const host::InboundRequest& r, Instant now);
  // Why not to dial back now, or nothing (the request's tokens are taken).
  std::optional<std::string> over_rate(const PeerId& peer, Instant now);
  void answer(host::RequestId id, const PeerId& peer, autonat::DialResponse response);
  void push_event(AutonatEvent e);

  PeerId local_;
  AutonatConfig config_;
  host::RequestResponse rr_;
  host::RateLimit global_bucket_;
  std::map<PeerId, host::RateLimit> buckets_;
  std::map<uint64_t, PeerId> probing_;  // request id -> the peer dialled back
  std::deque<host::ProbeDial> probes_;  // to hand to the runtime, at most probes_max
  std::deque<AutonatEvent> events_;     // at most outbound_max + inbound_max
};

// The addresses of `requested` a server may dial back for a request from `remote`: TCP, at the
// same IP address, without a /p2p suffix, without duplicates, at most `max`.
std::vector<Multiaddr> dial_back_addresses(const std::vector<Multiaddr>& requested,
                                           const Multiaddr& remote, size_t max);

}  // namespace agora::behaviour
