// Drives host::Behaviours (host/behaviour.h) over the Asio swarm: the one place where a
// behaviour's messages meet real streams. For each behaviour it serves the protocols it lists
// (charged to the resource manager under their limits), reads each stream into whole messages
// with a MessageReader bounded by the protocol's framing, writes what the behaviour sends through
// a per-stream queue bounded by send_queue_bytes_max, opens the streams it asks for, and arms one
// timer at its next_timer(). A byte stream (Framing::Kind::bytes) is read only while its
// behaviour has granted credit (ReadBytes), so a slow consumer stops the peer through yamux's
// window, and its SendBytes slices are written from the behaviour's own buffer, not copied.
// Each multicast group a behaviour joins gets a socket (rt::MulticastSocket) whose datagrams go
// to on_datagram. Behaviours have no coroutines: the only ones are here (one reader per stream,
// at most one writer per stream with something to write, one per dial or stream being opened)
// and in the multicast sockets (one receive loop each).
//
// A stream ends (on_stream_closed, exactly once) when both sides have closed, when it is reset by
// either side, when a limit is broken (a message too large, a send queue full: the stream is
// reset and the reason given), or when, after the behaviour closed our side, the peer has sent
// nothing for the protocol's close_linger and the stream has not ended (reset: the peer did not
// read or did not close). A byte stream without read credit is not read, so the peer's close or
// reset is heard once credit is granted (or the connection ends).
// Spans (docs/tracing.md): every stream served, and every stream opened with a StreamTrace, is
// recorded in BehaviourHostConfig::spans when it ends: peer, protocol, key, bytes each way (as
// read and written by this host), outcome and wall-clock times.
// Runs on the swarm's thread; every method must be called there.
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "host/behaviour.h"
#include "observe/spans.h"
#include "runtime/asio/swarm.h"

namespace agora::rt {

struct BehaviourHostConfig {
  size_t read_chunk_bytes = 64 * 1024;  // at most; a protocol with smaller messages reads less
  size_t byte_read_chunk_bytes = 256 * 1024;  // byte streams: bulk data, fewer wake-ups
  // Where stream spans go (docs/tracing.md): one for every stream served, and one for every
  // stream a behaviour opened with a StreamTrace. Null: none recorded.
  observe::SpanRecorder* spans = nullptr;
};

class BehaviourHost {
 public:
  BehaviourHost(Swarm& swarm, BehaviourHostConfig config);
  ~BehaviourHost();
  BehaviourHost(const BehaviourHost&) = delete;
  BehaviourHost& operator=(const BehaviourHost&) = delete;

  // Serves `behaviour`'s protocols and feeds it every connection event from now on; it must
  // outlive this host. `on_progress` runs after its actions have been carried out: the adapter
  // drains the behaviour's results for its users there.
  void add(host::Behaviour& behaviour, std::function<void()> on_progress = {});
  // Carries out what `behaviour` wants after its owner called into it (a user command).
  void wake(host::Behaviour& behaviour);
  // Stops driving `behaviour` (before it is destroyed): its streams are reset, and its protocols
  // stay registered but refuse every stream.
  void remove(host::Behaviour& behaviour);
  size_t streams() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace agora::rt
