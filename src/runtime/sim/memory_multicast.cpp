// MemoryNetwork's multicast groups: LANs of lan_nodes consecutive nodes (see memory_network.h).
#include "runtime/sim/memory_network.h"
#include "runtime/sim/memory_network_internal.h"

namespace agora::sim {

// Every join works in the simulator; the behaviour hears so as its first input.
void MemoryNetwork::join_groups(NodeId node, BehaviourSlot& slot) {
  slot.groups = slot.behaviour->multicast_groups();
  for (const host::MulticastGroup& group : slot.groups) {
    schedule(Duration::zero(), [this, node, &slot, name = group.name] {
      slot.behaviour->on_multicast_joined(name, sim_ip(node), now_);
      pump(node, slot);
    });
  }
}

void MemoryNetwork::send_datagram(NodeId node, BehaviourSlot& slot,
                                  const host::SendDatagram& datagram) {
  if (!nodes_[node]->online) return;
  const host::MulticastGroup* from = nullptr;
  for (const auto& g : slot.groups)
    if (g.name == datagram.group) from = &g;
  if (!from) return;
  const size_t lan = config_.lan_nodes == 0 ? 1 : config_.lan_nodes;
  const NodeId first = node / lan * lan;
  const NodeId end = std::min(nodes_.size(), first + lan);
  for (NodeId to = first; to < end; ++to) {
    for (auto& receiver : nodes_[to]->slots) {
      for (const host::MulticastGroup& g : receiver->groups) {
        if (g.address != from->address || g.port != from->port) continue;
        if (datagram.datagram.size() > g.datagram_bytes_max) continue;  // dropped, as by a socket
        schedule(config_.latency,
                 [this, to, slot = receiver.get(), name = g.name, bytes = datagram.datagram] {
                   if (!nodes_[to]->online) return;
                   ++datagrams_delivered_;
                   slot->behaviour->on_datagram(name, bytes, now_);
                   pump(to, *slot);
                 });
      }
    }
  }
}

}  // namespace agora::sim
