// Fuzzes the connectivity policy and the bootstrap edit of config.toml.
//   first byte even: PeerStore and ConnectionManager driven by an operation sequence; their
//     bounds and bookkeeping must hold whatever the order (peers_max, addresses and protocols per
//     peer, sorted protocols, trims only of open, unprotected connections past their grace
//     period, dial candidates never connected and always with an address).
//   first byte odd: the rest is config.toml text; set_bootstrap_in_config must never read out of
//     range, and whatever it returns must parse back with exactly the new list.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "host/connection_manager.h"
#include "host/peer_store.h"
#include "store/config.h"

namespace {

using namespace agora;
using fuzz::check;
using fuzz::Input;

const std::vector<PeerId>& peers() {
  static const std::vector<PeerId> ids = [] {
    std::vector<PeerId> out;
    for (uint8_t i = 1; i <= 8; ++i)
      out.push_back(PeerId::from_public_key({KeyType::ed25519, Bytes(32, i)}));
    return out;
  }();
  return ids;
}

const std::vector<Multiaddr>& addrs() {
  static const std::vector<Multiaddr> list = [] {
    std::vector<Multiaddr> out;
    for (const char* t :
         {"/ip4/10.0.0.1/tcp/1", "/ip4/10.0.0.2/tcp/2", "/ip6/::1/tcp/3", "/ip4/0.0.0.0/tcp/4",
          "/ip4/10.0.0.5/udp/5/quic-v1", "/ip4/192.168.0.6/tcp/6", "/dns4/example.com/tcp/7"})
      out.push_back(Multiaddr::parse(t).value());
    out.push_back(out[0].with_peer_id(peers()[0]));
    return out;
  }();
  return list;
}

struct Open {
  PeerId peer;
  Instant opened;
};

void check_store(const host::PeerStore& store, const host::PeerStoreConfig& c) {
  check(store.size() <= c.peers_max);
  for (const auto& r : store.list()) {
    check(r.addrs.size() <= c.addrs_per_peer_max);
    check(r.protocols.size() <= c.protocols_per_peer_max);
    check(std::is_sorted(r.protocols.begin(), r.protocols.end()));
    check(std::adjacent_find(r.protocols.begin(), r.protocols.end()) == r.protocols.end());
    check(r.agent.size() <= c.agent_bytes_max);
  }
}

void run_policy(Input in) {
  host::PeerStoreConfig sc{.peers_max = 4,
                           .addrs_per_peer_max = 2,
                           .protocols_per_peer_max = 3,
                           .protocol_bytes_max = 8,
                           .agent_bytes_max = 8};
  host::PeerStore store(sc);
  host::ConnectionManagerConfig mc{.low_water = 1,
                                   .high_water = 3,
                                   .grace_period = seconds(2),
                                   .silence_period = seconds(1),
                                   .check_interval = seconds(1),
                                   .protected_peers_max = 3,
                                   .protection_tags_per_peer_max = 2};
  auto manager = host::ConnectionManager::create(mc).value();
  std::map<uint64_t, Open> open;
  uint64_t next_id = 1;
  Instant now = Instant(seconds(100));
  int64_t now_ms = 1000;
  for (int ops = 0; ops < 2000 && !in.empty(); ++ops) {
    uint8_t op = in.byte();
    const PeerId& peer = peers()[in.byte() % peers().size()];
    now += std::chrono::milliseconds(in.byte() * 10);
    now_ms += in.byte();
    switch (op % 12) {
      case 0: {
        std::vector<Multiaddr> some;
        for (int i = in.byte() % 4; i > 0; --i) some.push_back(addrs()[in.byte() % addrs().size()]);
        (void)store.add_addrs(peer, some, 1u << (in.byte() % 5), now_ms);
        break;
      }
      case 1: {
        bool inbound = in.byte() & 1;
        store.on_connected(peer, inbound ? Multiaddr{} : addrs()[in.byte() % addrs().size()],
                           inbound ? 8 : 16, now_ms);
        manager.on_opened(next_id, peer, inbound, now);
        open[next_id++] = {peer, now};
        break;
      }
      case 2:
        if (!open.empty()) {
          auto it = std::next(open.begin(), ptrdiff_t(in.byte() % open.size()));
          manager.on_closed(it->first);
          store.on_disconnected(it->second.peer, now_ms, now);
          open.erase(it);
        }
        break;
      case 3:
        store.on_dial_failed(peer, now);
        break;
      case 4: {
        std::vector<std::string> protocols;
        for (int i = in.byte() % 6; i > 0; --i) protocols.push_back(in.text(12));
        store.set_identify(peer, protocols, in.text(12), now_ms);
        break;
      }
      case 5:
        store.set_latency(peer, std::chrono::microseconds(in.byte() * 100));
        break;
      case 6: {
        std::string tag = in.text(3);
        if (in.byte() & 1)
          (void)manager.protect(peer, tag);
        else
          (void)manager.unprotect(peer, tag);
        break;
      }
      case 7: {
        for (auto& [id, o] : open) manager.on_activity(id, in.byte() % 3, in.byte());
        manager.on_timer(now);
        while (auto trim = manager.poll_trim()) {
          auto it = open.find(trim->connection);
          check(it != open.end() && it->second.peer == trim->peer);
          check(!manager.is_protected(trim->peer));
          check(now - it->second.opened >= mc.grace_period);
          manager.on_closed(it->first);
          store.on_disconnected(it->second.peer, now_ms, now);
          open.erase(it);
        }
        (void)manager.take_dial_budget();
        check(manager.next_timer() > now || manager.connections() <= mc.high_water);
        break;
      }
      case 8:
        (void)store.take_changes();
        break;
      case 9:
        (void)store.remove(peer);
        break;
      case 10:
        for (const PeerId& p : store.dial_candidates(in.byte() % 9, now)) {
          check(!store.connected(p));
          check(!store.dial_addrs(p).empty());
        }
        break;
      case 11:
        store.touch_connected(now_ms);
        break;
    }
    check(manager.connections() <= open.size());
    check_store(store, sc);
  }
}

void run_bootstrap_edit(std::string_view text) {
  auto config = store::parse_config(text, "config.toml");
  if (!config.ok()) return;
  static const std::vector<std::vector<std::string>> lists = {
      {}, {"/ip4/1.2.3.4/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"}};
  for (const auto& list : lists) {
    auto edited = store::set_bootstrap_in_config(text, "config.toml", list);
    if (!edited.ok()) continue;
    auto back = store::parse_config(*edited, "config.toml");
    check(back.ok());
    store::Config expected = *config;
    expected.discovery.bootstrap = list;
    check(*back == expected);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1) {
    run_bootstrap_edit(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  } else {
    run_policy(Input{data + 1, size - 1});
  }
  return 0;
}
