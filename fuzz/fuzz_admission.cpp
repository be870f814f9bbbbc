// Fuzzes admission (host/connection_limits.h) with operation sequences a hostile network could
// cause: handshakes from few or many sources, dials, authenticated connections inbound and
// outbound, protected peers, closes in any order. After every step the bounds must hold: pending
// handshakes overall and per source, open connections overall, inbound ones within their share,
// per peer; a trim names an open, unprotected inbound connection; and once everything is closed,
// every count is back to zero.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <vector>

#include "fuzz_input.h"
#include "host/connection_limits.h"

namespace {

using namespace agora;
using fuzz::check;
using fuzz::Input;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }

host::IpSource source(uint8_t code) {
  std::string net = "ip4/10.0." + std::to_string(code % 4);
  return {net + "." + std::to_string(code / 4 % 4), net + ".0/24"};
}

const host::ConnectionLimitsConfig kConfig{.connections_max = 12,
                                           .connections_per_peer_max = 2,
                                           .pending_dials_max = 3,
                                           .pending_inbound_handshakes_max = 6,
                                           .pending_inbound_handshakes_per_ip_max = 2,
                                           .pending_inbound_handshakes_per_group_max = 3,
                                           .inbound_connections_per_ip_max = 4,
                                           .inbound_connections_per_group_max = 6,
                                           .outbound_reserve = 3};

struct Model {
  std::vector<std::optional<host::IpSource>> pending;
  size_t dials = 0;
  std::map<uint64_t, host::NewConnection> open;
  uint64_t next_id = 1;
};

void check_bounds(const host::ConnectionLimits& limits, const Model& m) {
  check(limits.pending_inbound_handshakes() == m.pending.size());
  check(limits.pending_inbound_handshakes() <= kConfig.pending_inbound_handshakes_max);
  check(limits.pending_dials() == m.dials && m.dials <= kConfig.pending_dials_max);
  check(limits.connections() == m.open.size());
  check(limits.connections() <= kConfig.connections_max);
  check(limits.inbound_connections() <= limits.inbound_limit());
  std::map<std::string, size_t> per_ip;
  for (const auto& s : m.pending)
    if (s) ++per_ip[s->ip];
  for (const auto& [ip, n] : per_ip) check(n <= kConfig.pending_inbound_handshakes_per_ip_max);
  for (uint8_t p = 0; p < 8; ++p) check(limits.connections_to(peer(p)) <= 2);
}

void add(host::ConnectionLimits& limits, Model& m, Input& in) {
  uint8_t code = in.byte();
  bool inbound = code & 1;
  host::NewConnection conn{m.next_id++, peer(code >> 1 & 7), inbound,
                           inbound ? std::optional(source(in.byte())) : std::nullopt,
                           Instant{} + std::chrono::seconds(in.byte())};
  uint8_t protected_mask = in.byte();
  auto is_protected = [&](const PeerId& p) {
    for (uint8_t i = 0; i < 8; ++i)
      if (p == peer(i)) return bool(protected_mask >> i & 1);
    return false;
  };
  auto admitted = limits.add_connection(conn, is_protected);
  if (!admitted) return;
  m.open[conn.id] = conn;
  if (!admitted->trim) return;
  auto victim = m.open.find(*admitted->trim);
  check(victim != m.open.end() && victim->first != conn.id);
  check(victim->second.inbound && !is_protected(victim->second.peer));
  limits.remove_connection(victim->first);
  m.open.erase(victim);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  host::ConnectionLimits limits(kConfig);
  Model m;
  while (!in.empty()) {
    switch (in.byte() % 6) {
      case 0: {
        auto s = in.byte() & 1 ? std::optional(source(in.byte())) : std::nullopt;
        if (limits.begin_inbound_handshake(s).ok()) m.pending.push_back(s);
        break;
      }
      case 1:
        if (!m.pending.empty()) {
          size_t i = in.byte() % m.pending.size();
          limits.end_inbound_handshake(m.pending[i]);
          m.pending.erase(m.pending.begin() + static_cast<ptrdiff_t>(i));
        }
        break;
      case 2:
        if (limits.begin_dial().ok()) ++m.dials;
        break;
      case 3:
        if (m.dials > 0) limits.end_dial(), --m.dials;
        break;
      case 4:
        add(limits, m, in);
        break;
      case 5:
        if (!m.open.empty()) {
          auto it = m.open.begin();
          std::advance(it, in.byte() % m.open.size());
          limits.remove_connection(it->first);
          m.open.erase(it);
        }
        break;
    }
    check_bounds(limits, m);
  }
  for (const auto& s : m.pending) limits.end_inbound_handshake(s);
  for (const auto& [id, conn] : m.open) limits.remove_connection(id);
  for (; m.dials > 0; --m.dials) limits.end_dial();
  check(limits.connections() == 0 && limits.inbound_connections() == 0);
  check(limits.pending_inbound_handshakes() == 0 && limits.pending_dials() == 0);
  for (uint8_t g = 0; g < 4; ++g)
    check(limits.inbound_connections_from_group("ip4/10.0." + std::to_string(g) + ".0/24") == 0);
  return 0;
}
