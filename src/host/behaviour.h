// The behaviour seam (in the spirit of rust-libp2p's NetworkBehaviour): a protocol is a sans-I/O
// core that hears connection events and whole, bounded messages on streams, and emits what to
// send, which streams to open or close, which peers to dial and when to wake it. It never sees a
// socket, a clock or a coroutine. A runtime (runtime/asio's BehaviourHost, the in-memory network
// of runtime/sim) maps streams and messages onto the wire and drives every behaviour the same way,
// so a protocol written against this header runs in production, in tests and in the simulator.
//
// The contract, for a runtime:
// - every protocol a behaviour lists in protocols() is served with its framing and limits; an
//   inbound message larger than the framing allows resets the stream (Errc::too_large) before its
//   body is buffered, and a message the behaviour sends that is too large is never written;
// - bytes queued for one stream are bounded by ProtocolSpec::send_queue_bytes_max: a stream whose
//   peer does not read is reset rather than buffered without end;
// - inputs arrive one at a time, each with `now`; after each input the runtime drains
//   poll_action() and re-arms its timer from next_timer();
// - every stream a behaviour opened or was given ends in exactly one on_stream_closed.
//
// Byte streams (Framing::Kind::bytes), for bulk protocols (perf, transfers): no messages and no
// copies into them. The behaviour pulls: ReadBytes grants read credit, and the runtime reads only
// while credit remains (so the peer's close or reset may be heard only once credit is granted),
// handing each chunk to on_bytes as a view into its own buffer (valid for that call). A stream
// without credit is not read, so the peer's flow-control window fills and the peer stops sending:
// backpressure reaches the sender. It pushes with SendBytes, slices of a buffer it shares with the
// runtime (a block, perf's zeros), and paces itself by the tokens.
//
// Datagrams, for discovery on the local network (mDNS): a behaviour names the multicast groups
// it joins (multicast_groups()); the runtime owns the sockets (interface, TTL, loop), tells it
// whether each join worked (on_multicast_joined), hands over whole datagrams of at most the
// group's datagram_bytes_max (larger ones are dropped) and sends its SendDatagrams at once, best
// effort: a datagram that cannot be sent is dropped and counted by the runtime.
//
// The contract, for a behaviour: poll_action() is bounded by what the inputs caused (a behaviour
// keeps its own queues bounded); it must not assume a message arrives in one piece on the wire
// (the runtime reassembles frames) nor that an action succeeds (failures come back as inputs).
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/time.h"
#include "base/trace_context.h"
#include "codec/lp_frame.h"
#include "codec/multiaddr.h"
#include "codec/peer_id.h"
#include "host/swarm.h"

namespace agora::host {

// How a protocol's streams carry messages.
struct Framing {
  enum class Kind {
    length_prefixed,  // each message after its uvarint length (protobuf protocols)
    fixed_size,       // every message exactly message_bytes_max bytes (ping)
    bytes,  // a byte stream: ReadBytes, on_bytes and SendBytes (SendMessage writes it raw)
  };
  // length_prefixed, bytes: the largest message (bytes: the largest SendMessage; SendBytes and
  // on_bytes are not bounded by it). fixed_size: the size of each.
  Kind kind = Kind::length_prefixed;
  size_t message_bytes_max = 64 * 1024;
};

struct ProtocolSpec {
  std::string name;  // e.g. "/ipfs/ping/1.0.0"
  Framing framing;
  // The swarm's stream caps, and its idle_timeout: a stream that moves no byte for that long is
  // reset by the runtime (zero, the default: never; most behaviours keep their own deadlines).
  ProtocolConfig config;
  size_t send_queue_bytes_max = 1u << 20;  // written to one stream but not yet taken by the peer
  // After we close our side: how long the peer may send nothing (the rest of its answer, its
  // close) before the stream is reset. At least the longest pause the behaviour accepts.
  Duration close_linger = std::chrono::seconds(10);
  bool inbound = true;  // served; false: only opened by us
};

// Randomness, injected by the runtime (the operating system's in production, a seeded PRNG in
// the simulator): cores draw no entropy of their own.
using Entropy = std::function<void(std::span<uint8_t>)>;

// One stream, as the runtime names it.
struct StreamRef {
  ConnectionId connection = 0;
  uint64_t stream = 0;
  auto operator<=>(const StreamRef&) const = default;
};

// --- Inputs.
struct ConnectionOpened {
  ConnectionId connection = 0;
  PeerId peer;
  Direction direction = Direction::outbound;
  Multiaddr remote;
};
struct ConnectionEnded {
  ConnectionId connection = 0;
  PeerId peer;
  Error reason{Errc::closed, ""};
  bool last = true;  // no other connection to this peer remains
};
struct StreamOpened {
  StreamRef ref;
  PeerId peer;
  std::string protocol;
  Direction direction = Direction::inbound;
  uint64_t tag = 0;  // outbound: the OpenStream's tag
  Multiaddr remote;  // the connection's remote address
};
struct StreamOpenFailed {
  uint64_t tag = 0;
  PeerId peer;
  std::string protocol;
  Error error{Errc::closed, ""};
};

// A multicast group a behaviour joins.
struct MulticastGroup {
  std::string name;     // how SendDatagram and on_datagram name it
  std::string address;  // an IPv4 group, e.g. "224.0.0.251"
  uint16_t port = 0;
  std::string interface_address;  // IPv4 address of the interface; empty: the runtime's choice
  size_t datagram_bytes_max = 9000;
};

// The outcome of the behaviour's own DialPeer (a dial already in flight to the peer is joined).
struct DialFinished {
  PeerId peer;
  Status result;
};

// The outcome of a ProbeDial: the address that answered as `tag`'s peer, or why none did.
struct ProbeFinished {
  uint64_t tag = 0;
  PeerId peer;
  Result<Multiaddr> reached = make_error(Errc::closed, "no probe");
};

// --- Outputs.
// A stream that belongs to a traced operation (docs/tracing.md): the runtime records a span for
// it under `context`, about `key` (a CID or peer id, as text).
struct StreamTrace {
  TraceContext context;
  std::string key;
};
struct OpenStream {
  PeerId peer;
  std::string protocol;  // one of the behaviour's ProtocolSpecs
  uint64_t tag = 0;      // echoed in StreamOpened or StreamOpenFailed
  // Not zero: on this connection only (fails with Errc::closed once it is gone). Zero: any
  // connection to the peer.
  ConnectionId connection = 0;
  // With no connection to the peer: dial these first. Empty: fail with Errc::not_found.
  std::vector<Multiaddr> addrs;
  // Offered after `protocol`, in order, when the peer does not speak it (multistream-select);
  // StreamOpened.protocol says which was agreed. Each must be one of the behaviour's specs.
  std::vector<std::string> fallback_protocols;
  std::optional<StreamTrace> trace;  // a span is recorded for the stream (also if it fails)
};
struct SendMessage {
  StreamRef ref;
  Bytes message;  // unframed; the runtime frames it by the protocol's Framing
  // Not zero: on_message_sent(ref, token) once the message has left the stream's send queue (for
  // behaviours that pace themselves, as the bitswap server does). A stream that ends first ends
  // with on_stream_closed and no on_message_sent for what it still held.
  uint64_t token = 0;
};
// A slice of a buffer shared between a behaviour and the runtime: sent without a copy, and kept
// alive by the runtime until it is written.
struct SharedBytes {
  std::shared_ptr<const Bytes> buffer;
  size_t offset = 0;
  size_t size = 0;
  BytesView view() const { return {buffer->data() + offset, size}; }
};
// To every member of a group joined (our own socket included: nodes on one host find each other).
struct SendDatagram {
  std::string group;
  Bytes datagram;
};
// Byte streams only: `data` after what was sent so far. `token` as in SendMessage.
struct SendBytes {
  StreamRef ref;
  SharedBytes data;
  uint64_t token = 0;
};
// Byte streams only: the runtime may hand `bytes` more to on_bytes (credit adds up). The peer's
// close (on_stream_finished) is heard once every byte before it was handed over and credit
// remains.
struct ReadBytes {
  StreamRef ref;
  size_t bytes = 0;
};
struct CloseWrite {
  StreamRef ref;  // after what was sent so far; the peer reads EOF
};
struct AbortStream {  // reset it: both directions end at once
  StreamRef ref;
  std::string why;
};
struct DialPeer {
  PeerId peer;
  std::vector<Multiaddr> addrs;
};
// Dials `peer` at `addrs`, in order, on a connection of its own that only proves who answers:
// TCP, then the secure handshake with the peer id checked, then closed (AutoNAT's dial-back).
// No behaviour hears of that connection, it is never reused, and a connection already open to
// the peer does not count. Answered by on_probe_finished with the same tag. The runtime bounds
// the probes in flight (Errc::limit past its bound).
struct ProbeDial {
  uint64_t tag = 0;
  PeerId peer;
  std::vector<Multiaddr> addrs;
};
// The peer misbehaved: disconnect it and refuse it for `how_long` (zero: disconnect only).
struct PunishPeer {
  PeerId peer;
  Duration how_long{0};
  std::string why;
};
// What a served stream was about, once the behaviour knows (the root CID of an xfer OPEN): the
// runtime's span of the stream gets the key and, when the request carried one, the requester's
// trace context. The runtime records a span of every served stream; without this it has neither.
struct TraceStream {
  StreamRef ref;
  std::optional<TraceContext> context;
  std::string key;
};
// CloseConnection (host/swarm.h): close one connection, e.g. the connection manager's trims.
using BehaviourAction =
    std::variant<OpenStream, SendMessage, SendBytes, ReadBytes, CloseWrite, AbortStream, DialPeer,
                 PunishPeer, CloseConnection, SendDatagram, TraceStream, ProbeDial>;

class Behaviour {
 public:
  virtual ~Behaviour() = default;
  // The protocols this behaviour speaks; read once, when the runtime adds the behaviour.
  virtual std::vector<ProtocolSpec> protocols() const = 0;
  // The multicast groups it joins; read once, when the runtime adds the behaviour.
  virtual std::vector<MulticastGroup> multicast_groups() const { return {}; }

  virtual void on_connection_opened(const ConnectionOpened&, Instant) {}
  virtual void on_connection_ended(const ConnectionEnded&, Instant) {}
  virtual void on_stream_opened(const StreamOpened& stream, Instant now) = 0;
  virtual void on_stream_open_failed(const StreamOpenFailed&, Instant) {}
  virtual void on_dial_finished(const DialFinished&, Instant) {}
  virtual void on_probe_finished(const ProbeFinished&, Instant) {}
  virtual void on_message(StreamRef ref, Bytes message, Instant now) = 0;
  // Byte streams: the next bytes read, at most the credit granted. `data` is valid for this call.
  virtual void on_bytes(StreamRef, BytesView /*data*/, Instant) {}
  // A SendMessage or SendBytes with this token has been written out.
  virtual void on_message_sent(StreamRef, uint64_t /*token*/, Instant) {}
  // The peer closed its side: no more messages on `ref`, though we may still send.
  virtual void on_stream_finished(StreamRef, Instant) {}
  // The stream is gone (both sides closed, reset, connection lost). Its last input.
  virtual void on_stream_closed(StreamRef, const Error&, Instant) {}
  // Whether joining a group worked: the interface's address, or why not (then no datagrams).
  virtual void on_multicast_joined(const std::string& /*group*/,
                                   const Result<std::string>& /*interface_address*/, Instant) {}
  virtual void on_datagram(const std::string& /*group*/, BytesView /*datagram*/, Instant) {}
  virtual void on_timer(Instant) {}
  virtual std::optional<Instant> next_timer() const { return std::nullopt; }
  virtual std::optional<BehaviourAction> poll_action() = 0;
};

// The first of a behaviour's queued outputs (actions, events), or nothing: poll_*() in one line.
template <class T>
std::optional<T> take_front(std::deque<T>& queue) {
  if (queue.empty()) return std::nullopt;
  T first = std::move(queue.front());
  queue.pop_front();
  return first;
}

// Limits across all peers for a behaviour's protocol: as wide as the resource manager's system
// scope (a narrower one would let a few hundred peers holding their per-peer share refuse the
// protocol to everyone else).
inline constexpr ScopeLimits kAllPeersLimits{
    .streams_inbound_max = 8192, .streams_outbound_max = 8192, .memory_bytes_max = size_t(1) << 30};

// Frames `message` for `framing`; Errc::too_large (or Errc::invalid_input for a fixed-size
// message of the wrong size) when the framing cannot carry it.
Result<Bytes> frame_message(const Framing& framing, BytesView message);

// Reassembles the messages of one stream from arbitrary chunks, bounded by the framing: at most
// one message (plus one read's worth of bytes) is buffered.
class MessageReader {
 public:
  explicit MessageReader(Framing framing);
  void feed(BytesView chunk);
  // A whole message, std::nullopt when more bytes are needed, or an error (the stream is broken).
  Result<std::optional<Bytes>> next();
  // Bytes of a message begun but not finished (at EOF: Errc::truncated).
  size_t buffered() const;

 private:
  Framing framing_;
  LpReader lp_;    // length_prefixed
  Bytes fixed_;    // fixed_size: the message begun
  Bytes pending_;  // fixed_size: bytes fed but not yet taken
  size_t pending_pos_ = 0;
};

}  // namespace agora::host
