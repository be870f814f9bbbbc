// An in-memory network that drives host::Behaviours (host/behaviour.h) at the message level
// under virtual time: no sockets, no threads, no clock. Each node has its own host::Swarm policy
// core (admission, bans, the resource manager's stream scopes), the same one runtime/asio asks,
// so a behaviour meets the same limits here as in production. It is the two-node harness of the
// behaviour tests and the network of simulator scenarios: the same code runs in both.
//
// What it models: dials by address (a node's address encodes its index, one /24 each; a dial
// takes a round trip and fails if the node is offline or is not the peer asked for), connections
// (one id shared by both ends), nodes going offline and back, streams with protocol negotiation
// (the opener hears StreamOpened after a round trip; a protocol the remote does not serve fails
// with Errc::unsupported), ordered message delivery after a fixed one-way latency, half-close,
// resets, the framing's size limit (a message over it resets the stream), the swarm's idle
// timeouts (a stream that moves nothing for its protocol's idle_timeout is reset), connection
// loss, and
// the protocol's close_linger (after a side's close, a peer silent that long has the stream reset).
// Byte streams (Framing::Kind::bytes) have flow control: a side has at most stream_window_bytes
// in flight to a peer that has not taken them (ReadBytes credit), the rest waits in its send
// queue, bounded by the protocol's send_queue_bytes_max (past it the stream is reset, as in
// rt::BehaviourHost), and a token is heard once its bytes enter the window.
// Multicast (mDNS): nodes are on LANs of lan_nodes consecutive nodes; a datagram reaches every
// online node of the sender's LAN (the sender included) whose behaviours joined the same group,
// after one latency.
// Spans (set_spans): as the Asio host records them, on the virtual clock.
// ProbeDial (AutoNAT's dial-back) succeeds after a round trip when the node at the address is the
// peer asked for, online and dialable; it opens no connection.
// What it does not: bandwidth, partial frames, Noise and yamux (covered by their own tests).
//
// Deterministic: events at the same instant run in the order they were scheduled.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <vector>

#include "host/behaviour.h"
#include "host/swarm.h"
#include "observe/spans.h"

namespace agora::sim {

struct MemoryNetworkConfig {
  Duration latency = std::chrono::milliseconds(5);  // one way, every link
  host::SwarmConfig swarm;                          // each node's policy core
  size_t lan_nodes = 16;  // nodes i and j share a LAN when i / lan_nodes == j / lan_nodes
  size_t stream_window_bytes = 256 * 1024;  // byte streams: yamux's initial window
  size_t events_max = 1u << 24;  // pending deliveries and timers; past it run() stops with an error
};

class MemoryNetwork {
 public:
  using NodeId = size_t;
  explicit MemoryNetwork(MemoryNetworkConfig config = {});
  ~MemoryNetwork();

  NodeId add_node(PeerId peer);
  // `behaviour` must outlive the network. Its protocols are registered with the node's swarm.
  // `on_progress` runs after each batch of its actions, as in rt::BehaviourHost: the owner drains
  // the behaviour's events there.
  void add_behaviour(NodeId node, host::Behaviour& behaviour,
                     std::function<void()> on_progress = {});
  // Connects `from` to `to` (from dials); refused by either side's admission or bans, or when
  // either is offline.
  Result<host::ConnectionId> connect(NodeId from, NodeId to);
  // Offline: every connection of the node closes and dials to it fail, until it is back online.
  void set_online(NodeId node, bool online);
  bool online(NodeId node) const;
  // Not dialable: behind a NAT or a firewall. Its own dials work; dials to it (and ProbeDials)
  // fail with Errc::timeout, as when nothing answers.
  void set_dialable(NodeId node, bool dialable);
  // The node's streams are recorded as spans here, as rt::BehaviourHost records them: every
  // stream it serves, every stream opened with a StreamTrace; times are the virtual clock's.
  void set_spans(NodeId node, observe::SpanRecorder* spans);
  // The node whose address `addr` is, if any.
  std::optional<NodeId> node_at(const Multiaddr& addr) const;
  static Multiaddr address_of(NodeId node);
  // Connects `node` to the peer at one of `addrs` after a round trip (an open connection is
  // reused); `done` hears how it went.
  void dial(NodeId node, const PeerId& peer, std::vector<Multiaddr> addrs,
            std::function<void(Status)> done);
  void disconnect(host::ConnectionId id, const std::string& why);
  // Runs the actions `behaviour` queued after its owner called into it.
  void wake(NodeId node, host::Behaviour& behaviour);

  Instant now() const { return now_; }
  // Runs `run` at now() + `after`, among the network's own events (scenarios script with it).
  void after(Duration after, std::function<void()> run) { schedule(after, std::move(run)); }
  // Runs every event due up to `until`, then sets the clock to it. Errc::limit if the queue
  // overflowed.
  Status run_until(Instant until);
  Status run_for(Duration d) { return run_until(now_ + d); }

  const PeerId& peer(NodeId node) const;
  host::Swarm& swarm(NodeId node);
  size_t connections() const { return connections_.size(); }
  size_t streams() const { return streams_.size(); }
  uint64_t messages_delivered() const { return messages_delivered_; }
  uint64_t datagrams_delivered() const { return datagrams_delivered_; }
  // Byte streams: bytes queued by senders plus bytes in flight or not yet taken by receivers.
  size_t byte_stream_buffered_bytes() const;

 private:
  struct Node;
  struct Stream;
  struct Connection {
    NodeId a = 0, b = 0;  // a dialed b
  };
  struct Event {
    Instant at;
    uint64_t seq = 0;
    std::function<void()> run;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  struct BehaviourSlot;

  void schedule(Duration after, std::function<void()> run);
  void pump(NodeId node, BehaviourSlot& slot);
  void arm_timer(NodeId node, BehaviourSlot& slot);
  void execute(NodeId node, BehaviourSlot& slot, host::BehaviourAction action);
  // `span`: a traced request's, begun before a dial this open waited for.
  void open_stream(NodeId node, BehaviourSlot& slot, host::OpenStream req,
                   std::optional<observe::Span> span = std::nullopt);
  void probe(NodeId node, BehaviourSlot& slot, host::ProbeDial p);
  int64_t virtual_ns() const;
  // Records a side's span, if it has one, with how the side ended.
  void finish_span(Stream& s, int side, const Error& why, bool clean);
  void send(NodeId node, host::StreamRef ref, Bytes message, uint64_t token);
  void close_write(NodeId node, host::StreamRef ref);
  void check_linger(host::StreamRef ref, int side);
  void send_bytes(NodeId node, host::StreamRef ref, BytesView data, uint64_t token);
  void grant(NodeId node, host::StreamRef ref, size_t bytes);
  void transmit(host::StreamRef ref, int side);
  void deliver(host::StreamRef ref, int side);
  void deliver_chunk(host::StreamRef ref, int side);
  void join_groups(NodeId node, BehaviourSlot& slot);
  void send_datagram(NodeId node, BehaviourSlot& slot, const host::SendDatagram& datagram);
  void reset_stream(host::StreamRef ref, NodeId by, const Error& why);
  void end_side(host::StreamRef ref, int side, const Error& why, bool clean = false);
  void maybe_done(host::StreamRef ref);
  void close_connection(host::ConnectionId id, host::CloseReason reason, const std::string& why);
  void apply_policy(NodeId node);
  void arm_swarm_timer(NodeId node);
  BehaviourSlot* slot_for(NodeId node, host::Behaviour& b);

  MemoryNetworkConfig config_;
  Instant now_{};
  uint64_t seq_ = 0;
  bool overflowed_ = false;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<host::ConnectionId, Connection> connections_;
  std::map<host::StreamRef, std::unique_ptr<Stream>> streams_;
  host::ConnectionId next_connection_ = 1;
  uint64_t next_stream_ = 1;
  uint64_t messages_delivered_ = 0;
  uint64_t datagrams_delivered_ = 0;
};

}  // namespace agora::sim
