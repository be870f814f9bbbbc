// Connections between simulated nodes. A request to a peer reuses the connection the two nodes
// share, or opens one; opening one is when the runtime reports on_peer_connected to both cores
// (identify says every simulated node is a kad server). Each node keeps at most
// connections_max, closing the least recently used, as libp2p's connection manager trims; a
// node that leaves closes all of its connections.
#include <algorithm>
#include <cassert>

#include "runtime/sim/simulator.h"

namespace agora::sim {
namespace {

template <class Connections>
auto find_connection(Connections& list, NodeIndex peer, uint32_t incarnation) {
  return std::find_if(list.begin(), list.end(), [&](const auto& c) {
    return c.peer == peer && c.peer_incarnation == incarnation;
  });
}

template <class Connections>
void move_to_back(Connections& list, typename Connections::iterator it) {
  std::rotate(it, it + 1, list.end());
}

}  // namespace

bool Simulator::connect(NodeIndex dialer, NodeIndex listener) {
  Node& a = nodes_[dialer];
  Node& b = nodes_[listener];
  assert(a.kad != nullptr && b.kad != nullptr && dialer != listener);
  auto at_a = find_connection(a.connections, listener, b.incarnation);
  if (at_a != a.connections.end()) {
    move_to_back(a.connections, at_a);
    auto at_b = find_connection(b.connections, dialer, a.incarnation);
    assert(at_b != b.connections.end());  // connections are kept symmetric
    if (at_b != b.connections.end()) move_to_back(b.connections, at_b);
    return false;
  }
  make_room(dialer);
  make_room(listener);
  a.connections.push_back({listener, b.incarnation});
  b.connections.push_back({dialer, a.incarnation});
  ++result_.network.connections;
  trace_.line("{} connect {} {}", now_ns(), dialer, listener);
  b.kad->on_peer_connected(population_->info(dialer), true, kad::Direction::inbound, now());
  a.kad->on_peer_connected(population_->info(listener), true, kad::Direction::outbound, now());
  return true;
}

void Simulator::make_room(NodeIndex node) {
  const auto max = size_t(scenario_.connections_max);
  while (nodes_[node].connections.size() >= max) {
    disconnect(node, nodes_[node].connections.front().peer);
  }
}

void Simulator::disconnect(NodeIndex a, NodeIndex b) {
  Node& na = nodes_[a];
  Node& nb = nodes_[b];
  std::erase_if(na.connections, [&](const Connection& c) { return c.peer == b; });
  std::erase_if(nb.connections, [&](const Connection& c) { return c.peer == a; });
  ++result_.network.connections_closed;
  trace_.line("{} disconnect {} {}", now_ns(), a, b);
  if (na.kad != nullptr) na.kad->on_peer_disconnected(population_->id(b), now());
  if (nb.kad != nullptr) nb.kad->on_peer_disconnected(population_->id(a), now());
}

void Simulator::close_all_connections(NodeIndex node) {
  while (!nodes_[node].connections.empty()) {
    disconnect(node, nodes_[node].connections.back().peer);
  }
  nodes_[node].connections.shrink_to_fit();
}

}  // namespace agora::sim
