// Fuzzes host::Swarm (host/swarm.h) with random event sequences: dials and their ends, inbound
// accepts, connections secured and closed, streams opened, active and closed, bans, disconnects
// and timers, with time moving forward by random steps. The runtime's part is played faithfully:
// every queued close and reset is carried out some steps later. After every step the bounds must
// hold: dials in flight, connections, streams per scope against the resource limits, backoff
// entries, queued events; and once everything is closed, every scope is back to zero.
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "fuzz_input.h"
#include "host/swarm.h"

namespace {

using namespace agora;
using namespace agora::host;
using fuzz::check;
using fuzz::Input;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n % 6)}); }
Multiaddr address(uint8_t n) {
  return Multiaddr::parse("/ip4/10.0." + std::to_string(n % 3) + "." + std::to_string(n % 5) +
                          "/tcp/4001")
      .value();
}
const char* protocol(uint8_t n) {
  static const char* names[] = {"/a", "/b", "/idle", "/unknown"};
  return names[n % 4];
}

SwarmConfig config() {
  SwarmConfig c;
  c.limits.connections_max = 8;
  c.limits.outbound_reserve = 2;
  c.limits.pending_dials_max = 3;
  c.limits.connections_per_peer_max = 2;
  c.dial_joins_max = 2;
  c.backoff_addrs_max = 4;
  c.queue_max = 16;
  c.resources.system = {
      .streams_inbound_max = 10, .streams_outbound_max = 10, .memory_bytes_max = 0};
  c.resources.peer = {.streams_inbound_max = 4, .streams_outbound_max = 4, .memory_bytes_max = 0};
  return c;
}

struct Runtime {
  std::set<DialId> dials;
  std::map<ConnectionId, PeerId> connections;
  std::set<std::pair<ConnectionId, uint64_t>> streams;
  std::vector<ConnectionId> to_close;
  std::vector<std::pair<ConnectionId, uint64_t>> to_reset;
  ConnectionId next_connection = 1;
  uint64_t next_stream = 1;
};

void drain(Swarm& s, Runtime& rt) {
  while (auto a = s.poll_action()) {
    if (auto* c = std::get_if<CloseConnection>(&*a)) {
      check(rt.connections.count(c->connection) == 1);
      rt.to_close.push_back(c->connection);
    } else {
      auto& r = std::get<ResetStream>(*a);
      check(rt.streams.count({r.connection, r.stream}) == 1);
      rt.to_reset.push_back({r.connection, r.stream});
    }
  }
  while (s.poll_event()) {
  }
}

void close_connection(Swarm& s, Runtime& rt, ConnectionId id, Instant now) {
  if (!rt.connections.erase(id)) return;
  for (auto it = rt.streams.lower_bound({id, 0}); it != rt.streams.end() && it->first == id;)
    it = rt.streams.erase(it);
  s.on_connection_closed(id, CloseReason::remote_closed, "", now);
}

void check_bounds(const Swarm& s, const Runtime& rt) {
  const SwarmConfig c = config();
  check(s.dials_in_flight() <= c.limits.pending_dials_max);
  check(s.connections() == rt.connections.size());
  // Past connections_max only by the trims still closing, each chosen once.
  check(s.connections() <= c.limits.connections_max + s.limits().leaving());
  check(s.limits().leaving() <= s.connections());
  check(s.streams() == rt.streams.size());
  auto sys = s.resources().system();
  check(sys.streams_inbound <= c.resources.system.streams_inbound_max);
  check(sys.streams_outbound <= c.resources.system.streams_outbound_max);
  check(sys.streams_inbound + sys.streams_outbound == s.streams());
  for (uint8_t p = 0; p < 6; ++p) {
    auto u = s.resources().peer(peer(p));
    check(u.streams_inbound <= c.resources.peer.streams_inbound_max);
    check(u.streams_outbound <= c.resources.peer.streams_outbound_max);
  }
  check(s.backoff_entries() <= c.backoff_addrs_max);
  check(s.queued_events() <= c.queue_max);
}

void step(Swarm& s, Runtime& rt, Input& in, Instant now) {
  uint8_t op = in.byte();
  uint8_t arg = in.byte();
  switch (op % 10) {
    case 0: {
      std::optional<PeerId> who;
      if (arg & 1) who = peer(arg >> 1);
      auto r = s.dial(who, {address(arg), address(arg >> 3)}, now);
      if (auto* plan = std::get_if<DialPlan>(&r); plan && plan->kind == DialPlan::Kind::start)
        rt.dials.insert(plan->dial);
      break;
    }
    case 1:
      if (!rt.dials.empty()) {
        DialId id = *std::next(rt.dials.begin(), arg % rt.dials.size());
        rt.dials.erase(id);
        s.on_dial_finished(id, {address(arg)}, arg & 1, now);
      }
      break;
    case 2:
    case 3: {
      ConnectionId id = rt.next_connection++;
      Direction dir = arg & 1 ? Direction::inbound : Direction::outbound;
      auto r = s.on_secured(id, peer(arg >> 1), dir, address(arg >> 2), now,
                            [](const PeerId& p) { return p == peer(0); });
      if (std::holds_alternative<Admitted>(r)) rt.connections[id] = peer(arg >> 1);
      break;
    }
    case 4:
      if (!rt.connections.empty())
        close_connection(
            s, rt, std::next(rt.connections.begin(), arg % rt.connections.size())->first, now);
      break;
    case 5:
      if (!rt.connections.empty()) {
        ConnectionId id = std::next(rt.connections.begin(), arg % rt.connections.size())->first;
        uint64_t stream = rt.next_stream++;
        Direction dir = arg & 1 ? Direction::inbound : Direction::outbound;
        if (!s.on_stream_opened(id, stream, protocol(arg >> 1), dir, now))
          rt.streams.insert({id, stream});
      }
      break;
    case 6:
      if (!rt.streams.empty()) {
        auto it = std::next(rt.streams.begin(), arg % rt.streams.size());
        if (arg & 1) {
          s.on_stream_activity(it->first, it->second, now);
        } else {
          s.on_stream_closed(it->first, it->second);
          rt.streams.erase(it);
        }
      }
      break;
    case 7:
      if (arg & 1)
        s.ban(peer(arg >> 1), std::chrono::seconds(arg), "fuzz", now);
      else
        s.disconnect(peer(arg >> 1), CloseReason::requested, "fuzz");
      break;
    case 8: {
      auto source = host::ip_source(address(arg));
      if (!s.on_inbound_accepted(source, now)) s.on_inbound_ended(source);
      break;
    }
    default:
      s.on_timer(now);
      break;
  }
  drain(s, rt);
  // The runtime carries out what was asked, some steps later.
  if (!rt.to_reset.empty() && (arg & 2)) {
    auto key = rt.to_reset.back();
    rt.to_reset.pop_back();
    if (rt.streams.erase(key)) s.on_stream_closed(key.first, key.second);
  }
  if (!rt.to_close.empty() && (arg & 4)) {
    ConnectionId id = rt.to_close.back();
    rt.to_close.pop_back();
    close_connection(s, rt, id, now);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Swarm s(peer(5), config());
  check(s.add_protocol("/a", {.limits = {.all_peers = {6, 6, 0}, .per_peer = {2, 2, 0}}}).ok());
  check(s.add_protocol("/b", {}).ok());
  check(s.add_protocol("/idle", {.idle_timeout = std::chrono::seconds(3)}).ok());
  Runtime rt;
  Instant now{};
  while (!in.empty()) {
    now += std::chrono::milliseconds(in.byte() * 50);
    step(s, rt, in, now);
    check_bounds(s, rt);
  }
  // Everything ends: every scope is back to zero.
  for (DialId id : std::set<DialId>(rt.dials)) s.on_dial_finished(id, {}, false, now);
  while (!rt.connections.empty()) close_connection(s, rt, rt.connections.begin()->first, now);
  drain(s, rt);
  check(s.streams() == 0 && s.resources().system().empty() && s.resources().peers_tracked() == 0);
  check(s.limits().connections() == 0 && s.limits().pending_dials() == 0);
  check(s.dials_in_flight() == 0);
  return 0;
}
