// /ipfs/kad/1.0.0 as a host::Behaviour: the sans-I/O Kademlia core (proto/kad/kad.h) over a
// host::RequestResponse. No coroutine, socket or clock: the runtime (runtime/asio's
// BehaviourHost, runtime/sim's MemoryNetwork) carries its streams.
//
// - Each request the core sends is one outbound stream (the runtime dials the peer first if
//   needed, with the addresses the DHT gave and those identify reported, at most
//   dial_addrs_per_peer_max); ADD_PROVIDER is one-way.
// - Inbound streams carry any number of requests, answered in order; the swarm holds each peer
//   to inbound_streams_per_peer_max streams; a stream idle for inbound_idle_timeout is reset.
//   Malformed, oversized or refused requests reset the stream and are reported as KadBadInput.
// - Every connection is reported to the core; identify tells whether the peer is a DHT server
//   (it lists /ipfs/kad/1.0.0), and only servers enter the routing table.
// - A peer that fails one request leaves the table (the core's rule). When that leaves fewer
//   than routing_refill_below entries, every connected server is offered to the table again, as
//   go-libp2p-kad-dht's fixLowPeers does: a small table does not lose its only live peers to one
//   timed-out or refused request. A peer that sent a bad answer, or that the core banned, is not
//   offered again while its connection lasts.
// - Client mode does not serve the protocol (identify does not list it).
// - A peer the core bans (PeerBanned) is punished through the runtime for abuse_ban.
//
// The owner starts queries on core() and then calls commanded(now) before waking the runtime.
// It drains poll_event() after every input: the core's events (query steps and ends, routing
// changes, evictions, bans) and what it needs for metrics and persistence. Events wait in a queue
// of at most events_max (past it the oldest goes and is counted): an owner that drains after
// each input, as the runtimes' on_progress hook does, never comes near it.
#pragma once

#include <deque>
#include <map>
#include <set>

#include "host/request_response.h"
#include "proto/identify/identify.h"
#include "proto/kad/kad.h"

namespace agora::behaviour {

inline constexpr std::string_view kKadProtocol = kad::kProtocolId;

struct KadBehaviourConfig {
  kad::KadConfig kad;  // kad.server_mode: serve the protocol or not
  // As js-libp2p's kad-dht allows (its own inbound cap; it opens up to 64 at once to one peer).
  size_t inbound_streams_per_peer_max = 32;  // kad streams one peer may have open to us
  Duration inbound_idle_timeout = std::chrono::seconds(60);
  size_t dial_addrs_per_peer_max = 4;  // addresses tried per dial
  size_t routing_refill_below = 10;    // go-libp2p-kad-dht's minRTRefreshThreshold
  Duration abuse_ban = std::chrono::hours(1);
  size_t events_max = 65536;
  host::ScopeLimits all_peers = host::kAllPeersLimits;
};

// A peer sent something we refused (kind: malformed, oversized, over_limit, wrong_type,
// invalid_record, refused, not_stored, ...), in a request or an answer.
struct KadBadInput {
  PeerId peer;
  std::string kind;
  std::string detail;
};
struct KadRequestSent {};
struct KadRequestFailed {
  std::string reason;  // dial, stream, timeout, bad_answer
};
struct KadInboundRequest {
  kad::MessageType type;
};
// We accepted an ADD_PROVIDER from `from` for `key` at `now` (the owner persists the record).
struct KadProviderAccepted {
  PeerId from;
  Bytes key;
  Instant now;
};
using KadBehaviourEvent = std::variant<kad::KadEvent, KadBadInput, KadRequestSent, KadRequestFailed,
                                       KadInboundRequest, KadProviderAccepted>;

class KadBehaviour final : public host::Behaviour {
 public:
  // What identify told us of a peer, if anything: its protocols and listen addresses.
  using IdentifyLookup = std::function<const identify::IdentifyInfo*(const PeerId&)>;
  KadBehaviour(PeerId self, KadBehaviourConfig config, IdentifyLookup identify);
  // The trace a request about `key` belongs to (a traced operation looking it up), if any: its
  // stream is then recorded as a span (docs/tracing.md).
  using TraceLookup = std::function<std::optional<host::StreamTrace>(BytesView key)>;
  void set_trace_lookup(TraceLookup lookup) { trace_of_ = std::move(lookup); }

  kad::Kad& core() { return kad_; }
  const kad::Kad& core() const { return kad_; }
  // After the owner called into core(): takes the requests the core queued.
  void commanded(Instant now) { drain_core(now); }
  // Identify answered for `peer`: a DHT server enters the routing table.
  void identified(const PeerId& peer, const identify::IdentifyInfo& info, Instant now);
  std::optional<KadBehaviourEvent> poll_event();
  uint64_t events_dropped() const { return events_dropped_; }
  size_t requests_in_flight() const { return requests_.size(); }
  // Where to dial `peer`: the addresses the DHT gave first, then those identify reported; each
  // once, at most dial_addrs_per_peer_max.
  std::vector<Multiaddr> dial_addrs(const kad::PeerInfo& peer) const;

  std::vector<host::ProtocolSpec> protocols() const override { return {rr_.spec()}; }
  void on_connection_opened(const host::ConnectionOpened& c, Instant now) override;
  void on_connection_ended(const host::ConnectionEnded& c, Instant now) override;
  void on_stream_opened(const host::StreamOpened& s, Instant now) override;
  void on_stream_open_failed(const host::StreamOpenFailed& f, Instant now) override;
  void on_message(host::StreamRef ref, Bytes message, Instant now) override;
  void on_stream_finished(host::StreamRef ref, Instant now) override;
  void on_stream_closed(host::StreamRef ref, const Error& why, Instant now) override;
  void on_timer(Instant now) override;
  std::optional<Instant> next_timer() const override;
  std::optional<host::BehaviourAction> poll_action() override;

 private:
  void drain_core(Instant now);
  void drain_requests(Instant now);
  void refill_routing(Instant now);
  void exclude(const PeerId& peer);
  void on_response(host::Response& r, Instant now);
  void on_request(host::InboundRequest& r, Instant now);
  void emit(KadBehaviourEvent e);
  void bad_input(const PeerId& peer, std::string kind, std::string detail);
  void request_failed(kad::RequestId id, std::string reason, const std::string& detail,
                      Instant now);

  KadBehaviourConfig config_;
  IdentifyLookup identify_;
  kad::Kad kad_;
  host::RequestResponse rr_;
  TraceLookup trace_of_;
  std::map<host::RequestId, kad::RequestId> requests_;  // those that expect an answer
  std::map<PeerId, std::pair<size_t, kad::Direction>> connections_;
  // Banned by the core or sent a bad answer, while connected: never offered to the table again.
  std::set<PeerId> excluded_;
  std::deque<host::BehaviourAction> actions_;
  std::deque<KadBehaviourEvent> events_;
  uint64_t events_dropped_ = 0;
};

}  // namespace agora::behaviour
