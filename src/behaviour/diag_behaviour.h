// /agora/diag/1.0.0 as a host::Behaviour (docs/tracing.md): a peer asks this node for the spans
// it recorded of the asker's own requests; this node asks the peers a trace touched. One request
// and one response per stream (host::RequestResponse). Sans-I/O: the spans come from a Source
// the owner gives, with the asker's authenticated peer id, so the rule "only the asker's own
// requests" is the Source's (observe::SpanRecorder::served_to), applied to that id and not to
// anything the request says.
//
// Rules of serving, each with a test:
// - opt-in: with serve = false the protocol is not offered at all (identify does not list it,
//   a stream for it is refused in negotiation);
// - never forwarded: the answer is the Source's, from this node's own recorder;
// - rate-limited: per peer requests_per_second with a burst of `burst`, and at most inbound_max
//   answered at once across peers and inbound_per_peer_max per peer; past a limit the stream is
//   reset and a DiagRefused event says why;
// - bounded: the request by DiagLimits (keys, key bytes, a window of at most 10 minutes), the
//   answer by spans_max and response_bytes_max (then `truncated`); a malformed request resets the
//   stream (DiagRefused "malformed"). The rate buckets kept: at most peers_tracked_max.
#pragma once

#include <deque>
#include <functional>
#include <map>

#include "host/rate_limit.h"
#include "host/request_response.h"
#include "proto/diag/diag.h"

namespace agora::behaviour {

inline constexpr std::string_view kDiagProtocol = diag::kProtocolId;

struct DiagConfig {
  bool serve = false;
  diag::DiagLimits limits;
  uint64_t requests_per_second = 1;  // per peer
  uint64_t burst = 5;                // per peer
  size_t inbound_max = 4;            // answered at once, across peers
  size_t inbound_per_peer_max = 1;
  size_t outbound_max = 64;  // our questions in flight
  size_t peers_tracked_max = 1024;
  Duration request_timeout = std::chrono::seconds(5);
};

using DiagAskId = uint64_t;

struct DiagAnswer {
  DiagAskId id = 0;
  PeerId peer;
  Result<diag::DiagResponse> response;
};
// A request from `peer` this node did not answer: "rate" (over its rate), "malformed".
struct DiagRefused {
  PeerId peer;
  std::string reason;
  std::string detail;
};
using DiagEvent = std::variant<DiagAnswer, DiagRefused>;

class DiagBehaviour final : public host::Behaviour {
 public:
  // The spans served to `asker` that `request` asks for; server_time_ns set by the Source.
  using Source =
      std::function<diag::DiagResponse(const PeerId& asker, const diag::DiagRequest& request)>;
  DiagBehaviour(DiagConfig config, Source source);

  // Asks `peer` (over a connection, or dialling `addrs`). Errc::limit past outbound_max.
  Result<DiagAskId> ask(const PeerId& peer, const diag::DiagRequest& request,
                        std::vector<Multiaddr> addrs, Instant now);
  std::optional<DiagEvent> poll_event() { return host::take_front(events_); }
  uint64_t answered() const { return answered_; }

  std::vector<host::ProtocolSpec> protocols() const override { return {rr_.spec()}; }
  void on_stream_opened(const host::StreamOpened& s, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override { return rr_.next_timer(); }
  std::optional<host::BehaviourAction> poll_action() override { return rr_.poll_action(); }

 private:
  void drain(Instant now);
  void on_request(const host::InboundRequest& r, Instant now);
  void refuse(const host::InboundRequest& r, std::string reason, std::string detail);

  DiagConfig config_;
  Source source_;
  host::RequestResponse rr_;
  std::map<PeerId, host::RateLimit> buckets_;
  std::deque<DiagEvent> events_;  // at most outbound_max answers and inbound refusals
  uint64_t answered_ = 0;
};

}  // namespace agora::behaviour
