// A request/response protocol over the behaviour seam, for a behaviour to embed (kad and the
// protocols after it): one outbound stream per request, as libp2p protocols do, and any number
// of requests on an inbound stream, answered in order.
//
// Outbound: request(peer, bytes, addrs, now) opens a stream (the runtime dials `addrs` first if
// there is no connection), writes the request, closes our side and waits for one response; one
// Response event comes out, the answer or why not (the stream failed, the peer closed without
// answering, request_timeout passed). A one-way request (expect_response = false) ends when the
// stream is written and closed by both sides.
// Inbound: each message on a stream of ours is an InboundRequest event; respond(id, bytes) writes
// the answer. Answers go out in the order their requests came on the stream; a request
// unanswered for response_timeout resets its stream, and so does a stream idle for idle_timeout.
//
// Bounds: requests in flight by outbound_max (request() fails with Errc::limit past it); inbound
// requests awaiting an answer by inbound_max, per peer by inbound_per_peer_max and per stream by
// pipelined_max, and requests on one stream in all by requests_per_stream_max (past any, the
// stream that brought one more is reset); events waiting for poll_event() by outbound_max +
// inbound_max (past it the oldest is dropped and counted in events_dropped(): an owner that drains
// after every input never gets there). Messages by the framing, both ways.
//
// The owning behaviour forwards its inputs: each on_* returns false when the input is not for
// this protocol (another protocol's stream, or an OpenStream tag not from this helper).
#pragma once

#include <deque>
#include <map>
#include <set>
#include <variant>

#include "host/behaviour.h"

namespace agora::host {

struct RequestResponseConfig {
  std::string protocol;
  Framing framing;
  ProtocolConfig stream;                 // the swarm's caps on this protocol's streams
  bool serve = true;                     // false: outbound only (inbound streams are never offered)
  size_t outbound_max = 256;             // our requests in flight
  size_t inbound_max = 256;              // peer requests awaiting our answer
  size_t inbound_per_peer_max = 32;      // of those, from one peer
  size_t pipelined_max = 16;             // of those, on one stream
  size_t requests_per_stream_max = 256;  // on one inbound stream in all; then it is reset
  Duration request_timeout = std::chrono::seconds(10);   // open, write and answer
  Duration response_timeout = std::chrono::seconds(10);  // for us to answer
  Duration idle_timeout = std::chrono::seconds(60);      // an inbound stream with no request
  size_t send_queue_bytes_max = 1u << 20;
};

using RequestId = uint64_t;

struct Response {
  RequestId id = 0;
  PeerId peer;
  Result<Bytes> response;  // one-way requests: empty bytes once written
};
struct InboundRequest {
  RequestId id = 0;
  PeerId peer;
  Bytes request;
  Multiaddr remote;  // the connection's remote address
};
// An inbound stream broke a rule (a message over the limit, or malformed framing): the peer's
// fault, for the owner to count. Streams that merely end or time out yield nothing.
struct InboundFailed {
  PeerId peer;
  Error error;
};
using RequestResponseEvent = std::variant<Response, InboundRequest, InboundFailed>;

class RequestResponse {
 public:
  explicit RequestResponse(RequestResponseConfig config);

  ProtocolSpec spec() const;
  const std::string& protocol() const { return config_.protocol; }

  // With `trace`, the runtime records a span of the request's stream (docs/tracing.md).
  Result<RequestId> request(const PeerId& peer, Bytes request, std::vector<Multiaddr> addrs,
                            Instant now, bool expect_response = true,
                            std::optional<StreamTrace> trace = std::nullopt);
  // Errc::not_found when the request is gone (its stream ended or it timed out).
  Status respond(RequestId inbound, Bytes response);
  // The request needs no answer (a one-way request): the next ones on its stream go ahead.
  Status respond_nothing(RequestId inbound);
  // The request was bad: its stream is reset, and every request still on it dropped.
  void reject(RequestId inbound, const std::string& why);
  size_t outbound() const { return outbound_.size(); }
  size_t inbound() const { return inbound_.size(); }
  size_t streams() const { return served_.size() + by_stream_.size() + closing_.size(); }
  uint64_t events_dropped() const { return events_dropped_; }

  bool on_stream_opened(const StreamOpened& stream, Instant now);
  bool on_stream_open_failed(const StreamOpenFailed& failed, Instant now);
  bool on_message(StreamRef ref, Bytes& message, Instant now);
  bool on_stream_finished(StreamRef ref, Instant now);
  bool on_stream_closed(StreamRef ref, const Error& why, Instant now);
  void on_timer(Instant now);
  std::optional<Instant> next_timer() const;
  std::optional<BehaviourAction> poll_action();
  std::optional<RequestResponseEvent> poll_event();

 private:
  struct Outbound {
    PeerId peer;
    Bytes request;  // until the stream opens
    bool expect_response = true;
    std::optional<StreamRef> ref;
    Instant deadline{};
  };
  struct Served {  // an inbound stream
    PeerId peer;
    Multiaddr remote;
    std::deque<RequestId> order;                         // requests on it, oldest first
    std::map<RequestId, std::optional<Bytes>> answered;  // waiting for older ones; nullopt: none
    Instant idle_deadline{};
    size_t requests = 0;    // taken from this stream so far
    bool finished = false;  // the peer closed its side
    bool closed = false;    // and so did we
  };
  struct Inbound {
    StreamRef ref;
    Instant deadline{};
  };
  void emit(RequestResponseEvent e);
  void fail_outbound(RequestId id, Error why, bool reset);
  void flush(StreamRef ref, Served& s);
  Status answer(RequestId id, std::optional<Bytes> response);
  void abort_served(StreamRef ref, const std::string& why);
  void forget_inbound(RequestId id);

  RequestResponseConfig config_;
  RequestId next_id_ = 1;
  std::map<RequestId, Outbound> outbound_;
  std::map<StreamRef, RequestId> by_stream_;
  std::map<StreamRef, Served> served_;
  std::map<RequestId, Inbound> inbound_;
  std::map<PeerId, size_t> inbound_by_peer_;
  std::map<StreamRef, Instant> closing_;  // answered; waiting (bounded) for the peer's EOF
  std::set<StreamRef> aborted_;           // reset by us; their on_stream_closed is still ours
  std::deque<BehaviourAction> actions_;
  std::deque<RequestResponseEvent> events_;
  uint64_t events_dropped_ = 0;
};

}  // namespace agora::host
