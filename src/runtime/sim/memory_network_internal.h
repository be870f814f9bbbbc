// MemoryNetwork's private parts, shared by its two source files.
#pragma once

#include "runtime/sim/memory_network.h"

namespace agora::sim {

inline Multiaddr sim_address(size_t node) {
  // Each node its own address in 10.0.0.0/8, so per-IP admission limits see distinct hosts.
  std::string text = "/ip4/10." + std::to_string((node >> 16) & 0xff) + "." +
                     std::to_string((node >> 8) & 0xff) + "." + std::to_string(node & 0xff) +
                     "/tcp/4001";
  return *Multiaddr::parse(text);
}


struct MemoryNetwork::BehaviourSlot {
  host::Behaviour* behaviour = nullptr;
  std::map<std::string, host::ProtocolSpec> specs;
  uint64_t timer_generation = 0;
  std::optional<Instant> armed;
  bool pumping = false;
  bool again = false;
};

struct MemoryNetwork::Node {
  Node(PeerId p, const host::SwarmConfig& c) : peer(p), swarm(p, c) {}
  PeerId peer;
  host::Swarm swarm;
  std::vector<std::unique_ptr<BehaviourSlot>> slots;
  std::map<std::string, BehaviourSlot*> served;  // protocol -> its behaviour
};

// Side 0 opened the stream, side 1 accepted it.
struct MemoryNetwork::Stream {
  host::StreamRef ref;
  std::string protocol;
  NodeId node[2] = {0, 0};
  BehaviourSlot* slot[2] = {nullptr, nullptr};
  bool write_closed[2] = {false, false};
  bool read_done[2] = {false, false};
  bool ended[2] = {false, true};  // side 1 exists once accepted
  uint64_t tag = 0;               // the opener's OpenStream tag
  bool announced = false;         // the opener heard StreamOpened
  int side_of(NodeId n) const { return n == node[0] ? 0 : 1; }
};

}  // namespace agora::sim
