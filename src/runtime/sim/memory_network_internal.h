// MemoryNetwork's private parts, shared by its two source files.
#pragma once

#include <deque>

#include "runtime/sim/memory_network.h"

namespace agora::sim {

// Node i is at (10 + i / 65536).(i / 256 % 256).(i % 256).1: each node in a /24 of its own, so
// admission's per-IP and per-network limits see distinct hosts on distinct networks, as an
// internet-wide network would (nodes sharing a /24 would hit inbound_connections_per_group_max
// at every popular node). Room for 245 * 65536 nodes.
inline constexpr size_t kSimNodesMax = size_t(245) << 16;
inline std::string sim_ip(size_t node) {
  return std::to_string(10 + (node >> 16)) + "." + std::to_string((node >> 8) & 0xff) + "." +
         std::to_string(node & 0xff) + ".1";
}
inline Multiaddr sim_address(size_t node) {
  return *Multiaddr::parse("/ip4/" + sim_ip(node) + "/tcp/4001");
}

struct MemoryNetwork::BehaviourSlot {
  host::Behaviour* behaviour = nullptr;
  std::map<std::string, host::ProtocolSpec> specs;
  uint64_t timer_generation = 0;
  std::optional<Instant> armed;
  bool pumping = false;
  bool again = false;
  std::function<void()> on_progress;
  std::vector<host::MulticastGroup> groups;  // joined
};

struct MemoryNetwork::Node {
  Node(PeerId p, const host::SwarmConfig& c) : peer(p), swarm(p, c) {}
  PeerId peer;
  host::Swarm swarm;
  std::vector<std::unique_ptr<BehaviourSlot>> slots;
  std::map<std::string, BehaviourSlot*> served;  // protocol -> its behaviour
  bool online = true;
  bool dialable = true;  // false: behind a NAT or a firewall, it dials out but is never dialled
  observe::SpanRecorder* spans = nullptr;  // set_spans: its streams' spans go here
  bool idle_timeouts = false;              // some protocol of its has one: drive the swarm's timer
  std::optional<Instant> swarm_timer_at;   // the wake-up pending for it
};

// Side 0 opened the stream, side 1 accepted it.
struct MemoryNetwork::Stream {
  host::StreamRef ref;
  std::string protocol;
  NodeId node[2] = {0, 0};
  BehaviourSlot* slot[2] = {nullptr, nullptr};
  bool write_closed[2] = {false, false};
  bool read_done[2] = {false, false};
  bool ended[2] = {false, true};         // side 1 exists once accepted
  uint64_t tag = 0;                      // the opener's OpenStream tag
  std::optional<observe::Span> span[2];  // each side's, recorded when that side ends
  bool aborted[2] = {false, false};      // by that side's behaviour (AbortStream)
  bool announced = false;                // the opener heard StreamOpened
  bool bytes = false;                    // Framing::Kind::bytes: carried by `flow`, not as messages
  Instant last_heard[2] = {};  // when each side last received something (for close_linger)
  // A byte stream, per side: what the side sent that is not in the peer's window yet, and what
  // reached the side that its behaviour has not taken yet.
  struct ByteFlow {
    std::deque<std::pair<Bytes, uint64_t>> queued;  // with their tokens
    size_t queued_bytes = 0;
    size_t in_window = 0;  // sent to the peer, not yet taken by its behaviour
    bool fin_queued = false;
    bool fin_sent = false;
    std::deque<Bytes> inbox;
    size_t inbox_offset = 0;  // into inbox.front()
    size_t credit = 0;        // granted by ReadBytes
    bool fin_arrived = false;
    bool delivery_scheduled = false;
  };
  ByteFlow flow[2];
  int side_of(NodeId n) const { return n == node[0] ? 0 : 1; }
};

}  // namespace agora::sim
