#include "app/commands.h"

#include <fmt/format.h>

#include <iostream>
#include <thread>

#include "app/api_client.h"
#include "codec/multiaddr.h"
#include "node/node.h"
#include "store/repo.h"

namespace agora {

namespace {

int fail(const Error& e) {
  std::cerr << "error: " << e.message << "\n";
  return 1;
}

// Connects to the daemon, calls one endpoint, prints JSON or hands the answer to `human`.
template <class Human>
int call(const CommonOptions& o, bool post, const std::string& path,
         const std::map<std::string, std::string>& params, Human human) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  auto r = post ? client->post(path, params) : client->get(path, params);
  if (!r) return fail(r.error());
  if (o.json) {
    std::cout << r->dump() << "\n";
  } else {
    human(*r);
  }
  return 0;
}

std::string mb_per_s(double bytes, double seconds) {
  return seconds > 0 ? fmt::format("{:.1f} MB/s", bytes / seconds / 1e6) : "-";
}

}  // namespace

int cmd_init(const CommonOptions& o, const std::vector<std::string>& listen,
             const std::string& api) {
  store::InitOptions init;
  if (!listen.empty()) init.listen = listen;
  if (!api.empty()) init.api_address = api;
  if (Status st = store::init_repo(o.repo, init); !st) return fail(st.error());
  auto repo = store::open_repo(o.repo);
  if (!repo) return fail(repo.error());
  const auto& pub = repo->identity.public_key();
  auto peer = PeerId::from_public_key({KeyType::ed25519, Bytes(pub.begin(), pub.end())});
  if (o.json) {
    std::cout << nlohmann::json{{"repo", o.repo.string()}, {"peer", peer.to_string()}}.dump()
              << "\n";
  } else {
    std::cout << "initialized agora repo at " << o.repo.string()
              << "\npeer id: " << peer.to_string() << "\n";
  }
  return 0;
}

int cmd_id(const CommonOptions& o) {
  auto client = ApiClient::connect(o.repo);
  if (!client && client.error().code == Errc::not_found) {
    // Without a daemon we still know who we are, just not where we listen.
    auto repo = store::open_repo(o.repo);
    if (!repo) return fail(repo.error());
    const auto& pub = repo->identity.public_key();
    auto peer = PeerId::from_public_key({KeyType::ed25519, Bytes(pub.begin(), pub.end())});
    if (o.json) {
      std::cout << nlohmann::json{{"peer", peer.to_string()},
                                  {"addrs", nlohmann::json::array()},
                                  {"agent", agent_version()},
                                  {"daemon_running", false}}
                       .dump()
                << "\n";
    } else {
      std::cout << "peer id: " << peer.to_string() << "\n(no daemon running: no addresses)\n";
    }
    return 0;
  }
  return call(o, false, "/api/v0/id", {}, [](const nlohmann::json& r) {
    std::cout << "peer id: " << r["peer"].get<std::string>()
              << "\nagent: " << r["agent"].get<std::string>() << "\naddresses:\n";
    for (auto& a : r["addrs"]) std::cout << "  " << a.get<std::string>() << "\n";
    std::cout << "protocols:\n";
    for (auto& p : r["protocols"]) std::cout << "  " << p.get<std::string>() << "\n";
  });
}

int cmd_ping(const CommonOptions& o, const std::string& addr, int count) {
  if (auto ma = Multiaddr::parse(addr); !ma) return fail(ma.error());
  return call(o, true, "/api/v0/ping", {{"arg", addr}, {"count", std::to_string(count)}},
              [](const nlohmann::json& r) {
                std::cout << "PING " << r["peer"].get<std::string>() << "\n";
                double min = 1e18, max = 0, sum = 0;
                int i = 0;
                for (auto& v : r["rtt_ms"]) {
                  double ms = v.get<double>();
                  std::cout << fmt::format("  pong {}: time={:.3f} ms\n", ++i, ms);
                  min = std::min(min, ms), max = std::max(max, ms), sum += ms;
                }
                if (i > 0)
                  std::cout << fmt::format("rtt min/avg/max = {:.3f}/{:.3f}/{:.3f} ms\n", min,
                                           sum / i, max);
              });
}

int cmd_perf(const CommonOptions& o, const std::string& addr, uint64_t upload, uint64_t download) {
  if (auto ma = Multiaddr::parse(addr); !ma) return fail(ma.error());
  return call(
      o, true, "/api/v0/perf",
      {{"arg", addr}, {"upload", std::to_string(upload)}, {"download", std::to_string(download)}},
      [](const nlohmann::json& r) {
        double up = r["upload_bytes"], down = r["download_bytes"], total = r["total_seconds"];
        std::cout << "perf with " << r["peer"].get<std::string>() << "\n"
                  << fmt::format("  uploaded   {:.0f} bytes\n  downloaded {:.0f} bytes\n", up, down)
                  << fmt::format("  total {:.3f} s, {}\n", total, mb_per_s(up + down, total));
      });
}

int cmd_swarm_peers(const CommonOptions& o) {
  return call(o, false, "/api/v0/swarm/peers", {}, [](const nlohmann::json& r) {
    if (r.empty()) std::cout << "no connected peers\n";
    for (auto& p : r) {
      std::cout << p["peer"].get<std::string>() << "  " << p["addr"].get<std::string>() << "  "
                << p["direction"].get<std::string>() << "  " << p.value("agent", "(not identified)")
                << "  streams=" << p["streams"].get<size_t>();
      if (p.contains("rtt_ms"))
        std::cout << fmt::format("  rtt={:.2f}ms", p["rtt_ms"].get<double>());
      std::cout << "\n";
      if (p.contains("protocols")) {
        std::cout << "    protocols:";
        for (auto& proto : p["protocols"]) std::cout << " " << proto.get<std::string>();
        std::cout << "\n";
      }
    }
  });
}

int cmd_swarm_connect(const CommonOptions& o, const std::string& addr) {
  if (auto ma = Multiaddr::parse(addr); !ma) return fail(ma.error());
  return call(o, true, "/api/v0/swarm/connect", {{"arg", addr}}, [](const nlohmann::json& r) {
    std::cout << "connected to " << r["peer"].get<std::string>() << " at "
              << r["addr"].get<std::string>() << "\n";
  });
}

int cmd_swarm_disconnect(const CommonOptions& o, const std::string& peer) {
  if (auto id = PeerId::parse(peer); !id) return fail(id.error());
  return call(o, true, "/api/v0/swarm/disconnect", {{"arg", peer}}, [](const nlohmann::json& r) {
    std::cout << "disconnected from " << r["peer"].get<std::string>() << "\n";
  });
}

static void print_event(const nlohmann::json& e) {
  std::cout << "#" << e["seq"].get<uint64_t>() << " " << e.value("type", "") << " "
            << e.value("direction", "") << " " << e.value("peer", "") << " " << e.value("addr", "");
  if (!e.value("protocol", "").empty()) std::cout << " protocol=" << e.value("protocol", "");
  if (!e.value("reason", "").empty()) std::cout << " reason=" << e.value("reason", "");
  if (!e.value("detail", "").empty()) std::cout << " (" << e.value("detail", "") << ")";
  std::cout << "\n";
}

int cmd_events(const CommonOptions& o, uint64_t since, bool follow) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  for (;;) {
    auto r = client->get("/api/v0/events", {{"since", std::to_string(since)}});
    if (!r) return fail(r.error());
    for (auto& e : (*r)["events"]) {
      if (o.json) {
        std::cout << e.dump() << "\n";
      } else {
        print_event(e);
      }
      since = e["seq"].get<uint64_t>();
    }
    std::cout.flush();
    if (!follow) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

int cmd_metrics(const CommonOptions& o) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  auto text = client->get_text("/metrics");
  if (!text) return fail(text.error());
  std::cout << *text;
  return 0;
}

int cmd_shutdown(const CommonOptions& o) {
  return call(o, true, "/api/v0/shutdown", {},
              [](const nlohmann::json&) { std::cout << "daemon shutting down\n"; });
}

}  // namespace agora
