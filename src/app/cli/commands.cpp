#include "app/cli/commands.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <thread>

#include "agora/names.h"
#include "agora/repo.h"
#include "agora/version.h"
#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"
#include "app/cli/events_view.h"
#include "app/cli/progress_bar.h"

namespace agora {

namespace {

std::string mb_per_s(double bytes, double seconds) {
  return seconds > 0 ? fmt::format("{:.1f} MB/s", bytes / seconds / 1e6) : "-";
}

}  // namespace

namespace {

// The swarm.key text `agora init` writes: a new key, the given file's, or none (public).
Result<std::string> init_swarm_key(const InitNetwork& network) {
  if (network.create_private) return new_swarm_key();
  if (network.swarm_key_file.empty()) return std::string();
  AGORA_ASSIGN(std::string text, read_file(network.swarm_key_file, 4096));
  AGORA_TRY(swarm_key_fingerprint(text, network.swarm_key_file));  // names file and line
  return text;
}

}  // namespace

int cmd_init(const CommonOptions& o, const std::vector<std::string>& listen, const std::string& api,
             const InitNetwork& network) {
  auto key = init_swarm_key(network);
  if (!key) return fail(key.error());
  if (Status st = init_repo(o.repo, RepoInit{listen, api, *key}); !st) return fail(st.error());
  auto peer = repo_peer_id(o.repo);
  if (!peer) return fail(peer.error());
  auto fingerprint = repo_private_network(o.repo);
  if (!fingerprint) return fail(fingerprint.error());
  std::string key_path = (o.repo / kSwarmKeyFileName).string();
  if (o.json) {
    nlohmann::json j = {{"repo", o.repo.string()}, {"peer", *peer}};
    j["network"] = {
        {"private", !fingerprint->empty()},
        {"fingerprint",
         fingerprint->empty() ? nlohmann::json(nullptr) : nlohmann::json(*fingerprint)},
        {"swarm_key", fingerprint->empty() ? nlohmann::json(nullptr) : nlohmann::json(key_path)}};
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::cout << "initialized agora repo at " << o.repo.string() << "\npeer id: " << *peer << "\n";
  if (fingerprint->empty()) {
    std::cout << "network: public (any libp2p peer may connect; `agora init --private` makes a "
                 "private one)\n";
  } else {
    std::cout << "network: private, key fingerprint " << *fingerprint << "\n";
    if (network.create_private)
      std::cout << "To let another node join, give it " << key_path
                << " over a secure channel (it is a secret: whoever holds it can connect), then "
                   "on that machine:\n  agora init --swarm-key swarm.key\nor copy it into an "
                   "existing repo as swarm.key (mode 0600) and restart the daemon.\n";
  }
  return 0;
}

namespace {

// The network and discovery lines of `agora id` (from the daemon's /api/v0/id).
void print_network_and_discovery(const nlohmann::json& r) {
  const auto& net = r["network"];
  if (net.value("private", false))
    std::cout << "network: private, key fingerprint " << net["fingerprint"].get<std::string>()
              << "\n";
  else
    std::cout << "network: public\n";
  const auto& d = r["discovery"];
  const auto& mdns = d["mdns"];
  std::cout << "discovery:\n";
  if (mdns.value("running", false))
    std::cout << "  mdns: on " << mdns["interface"].get<std::string>() << " ("
              << mdns["service"].get<std::string>() << ")\n";
  else
    std::cout << "  mdns: off"
              << (mdns.contains("error") ? " (" + mdns["error"].get<std::string>() + ")" : "")
              << "\n";
  std::cout << "  bootstrap: " << d["bootstrap"].size() << " peers\n";
  for (const auto& b : d["bootstrap"]) std::cout << "    " << b.get<std::string>() << "\n";
  std::cout << "  dht: " << (d["dht"].is_null() ? "off" : d["dht"].get<std::string>()) << "\n";
}

}  // namespace

int cmd_id(const CommonOptions& o) {
  auto client = ApiClient::connect(o.repo);
  if (!client && client.error().code == Errc::not_found) {
    // Without a daemon we still know who we are and our network, just not where we listen.
    auto peer = repo_peer_id(o.repo);
    if (!peer) return fail(peer.error());
    auto fingerprint = repo_private_network(o.repo);
    if (!fingerprint) return fail(fingerprint.error());
    nlohmann::json network = {{"private", !fingerprint->empty()},
                              {"fingerprint", fingerprint->empty() ? nlohmann::json(nullptr)
                                                                   : nlohmann::json(*fingerprint)}};
    if (o.json) {
      std::cout << nlohmann::json{{"peer", *peer},
                                  {"addrs", nlohmann::json::array()},
                                  {"agent", agent_version()},
                                  {"network", network},
                                  {"discovery", nullptr},
                                  {"daemon_running", false}}
                       .dump()
                << "\n";
    } else {
      std::cout << "peer id: " << *peer << "\nnetwork: "
                << (fingerprint->empty() ? "public" : "private, key fingerprint " + *fingerprint)
                << "\n(no daemon running: no addresses, no discovery)\n";
    }
    return 0;
  }
  return call(o, false, "/api/v0/id", {}, [](const nlohmann::json& r) {
    std::cout << "peer id: " << r["peer"].get<std::string>()
              << "\nagent: " << r["agent"].get<std::string>() << "\naddresses:\n";
    for (auto& a : r["addrs"]) std::cout << "  " << a.get<std::string>() << "\n";
    if (r.contains("network") && r.contains("discovery")) print_network_and_discovery(r);
    std::cout << "protocols:\n";
    for (auto& p : r["protocols"]) std::cout << "  " << p.get<std::string>() << "\n";
  });
}

int cmd_ping(const CommonOptions& o, const std::string& addr, int count) {
  if (Status st = validate_peer_target(addr); !st) return fail(st.error());
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
  if (Status st = validate_peer_target(addr); !st) return fail(st.error());
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

namespace {

std::string ms_text(const nlohmann::json& ms) {
  return ms.is_number() ? fmt::format("{:.2f} ms", ms.get<double>()) : "-";
}

void print_connected_peer(const nlohmann::json& p) {
  std::cout << p["peer"].get<std::string>() << "  " << p["addr"].get<std::string>() << "  "
            << p["direction"].get<std::string>() << "  " << p.value("agent", "(not identified)")
            << "  latency " << ms_text(p.value("latency_ms", nlohmann::json()));
  if (p.contains("sources") && !p["sources"].empty())
    std::cout << "  found by " << join_strings(p["sources"]);
  if (p.value("protected", false)) std::cout << "  protected";
  std::cout << "\n";
  if (p.contains("protocols"))
    std::cout << "    protocols: " << join_strings(p["protocols"], " ") << "\n";
  const auto& streams = p.value("streams_open", nlohmann::json::array());
  std::cout << "    open streams (" << p["streams"].get<size_t>() << ")";
  std::string sep = ": ";
  for (const auto& st : streams) {
    std::string proto = st.value("protocol", "");
    std::cout << sep << (proto.empty() ? "(negotiating)" : proto) << " ("
              << st.value("direction", "") << ")";
    sep = ", ";
  }
  std::cout << "\n";
}

}  // namespace

int cmd_swarm_peers(const CommonOptions& o) {
  return call(o, false, "/api/v0/swarm/peers", {}, [](const nlohmann::json& r) {
    if (r.empty()) std::cout << "no connected peers\n";
    for (auto& p : r) print_connected_peer(p);
  });
}

int cmd_swarm_limits(const CommonOptions& o) {
  return call(o, false, "/api/v0/swarm/limits", {}, [](const nlohmann::json& r) {
    auto& c = r["connections"];
    std::cout << "connections    " << c["open"] << " of " << c["max"] << " (inbound "
              << c["inbound"] << " of " << c["inbound_max"] << ", closing to make room "
              << c["leaving"] << ")\n"
              << "pending        dials " << c["pending_dials"] << " of " << c["pending_dials_max"]
              << ", inbound handshakes " << c["pending_inbound_handshakes"] << " of "
              << c["pending_inbound_handshakes_max"] << "\n";
    auto& s = r["streams"]["system"];
    std::cout << "streams        inbound " << s["inbound"] << " of " << s["inbound_max"]
              << ", outbound " << s["outbound"] << " of " << s["outbound_max"] << " (per peer "
              << r["streams"]["per_peer_max"]["inbound_max"] << "/"
              << r["streams"]["per_peer_max"]["outbound_max"] << ")\n";
    auto& b = r["buffered_bytes"];
    std::cout << "buffered       " << human_bytes(b["system"].get<uint64_t>()) << " of "
              << human_bytes(b["system_max"].get<uint64_t>()) << " (per peer "
              << human_bytes(b["per_peer_max"].get<uint64_t>()) << ")\n";
    for (auto& p : r["protocols"])
      std::cout << "  " << p["protocol"].get<std::string>() << "  in " << p["inbound"] << "/"
                << p["inbound_max"] << ", out " << p["outbound"] << "/" << p["outbound_max"]
                << " (per peer " << p["per_peer_inbound_max"] << "/" << p["per_peer_outbound_max"]
                << "), buffered " << human_bytes(p["buffered_bytes"].get<uint64_t>())
                << " (per peer " << human_bytes(p["buffered_bytes_per_peer_max"].get<uint64_t>())
                << ")\n";
    auto& d = r["dials"];
    std::cout << "dials          in flight " << d["in_flight"] << ", addresses backing off "
              << d["addresses_backing_off"] << "\n";
    if (r["refusals"].empty()) std::cout << "refusals       none\n";
    for (auto& x : r["refusals"])
      std::cout << "refused        " << x["count"] << " x " << x["limit"].get<std::string>()
                << " (scope " << x["scope"].get<std::string>() << ")\n";
  });
}

int cmd_swarm_reachability(const CommonOptions& o, uint64_t peers) {
  if (peers < 1 || peers > 8) return fail(make_error(Errc::invalid_input, "--peers must be 1..8"));
  return call(o, true, "/api/v0/swarm/reachability", {{"peers", std::to_string(peers)}},
              [](const nlohmann::json& r) {
                const nlohmann::json& reachable = r["reachable"];
                std::cout << (reachable.is_null()     ? "unknown: no peer answered"
                              : reachable.get<bool>() ? "reachable: a peer dialled this node back"
                                                      : "not reachable: no peer could dial back")
                          << "\n";
                for (const auto& p : r["probes"]) {
                  std::cout << "  " << p["peer"].get<std::string>() << "  ";
                  if (p.contains("error")) {
                    std::cout << "no answer: " << p["error"].get<std::string>() << "\n";
                    continue;
                  }
                  std::cout << p["status"].get<std::string>();
                  if (p.contains("addr")) std::cout << " at " << p["addr"].get<std::string>();
                  if (!p["text"].get<std::string>().empty())
                    std::cout << ": " << p["text"].get<std::string>();
                  std::cout << "\n";
                }
              });
}

int cmd_swarm_connect(const CommonOptions& o, const std::string& addr) {
  if (Status st = validate_multiaddr(addr); !st) return fail(st.error());
  return call(o, true, "/api/v0/swarm/connect", {{"arg", addr}}, [](const nlohmann::json& r) {
    if (r.value("existing", false)) {
      std::cout << "already connected to " << r["peer"].get<std::string>() << " at "
                << r["addr"].get<std::string>() << ": that connection is used; "
                << r.value("requested", std::string("the address given")) << " was not dialled\n";
      return;
    }
    std::cout << "connected to " << r["peer"].get<std::string>() << " at "
              << r["addr"].get<std::string>() << "\n";
  });
}

int cmd_swarm_disconnect(const CommonOptions& o, const std::string& peer) {
  if (Status st = validate_peer_id(peer); !st) return fail(st.error());
  return call(o, true, "/api/v0/swarm/disconnect", {{"arg", peer}}, [](const nlohmann::json& r) {
    std::cout << "disconnected from " << r["peer"].get<std::string>() << "\n";
  });
}

int cmd_events(const CommonOptions& o, std::optional<uint64_t> since, uint64_t limit, bool follow) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  for (;;) {
    std::map<std::string, std::string> params{{"limit", std::to_string(limit)}};
    if (since) params["since"] = std::to_string(*since);
    auto r = client->get("/api/v0/events", params);
    if (!r) return fail(r.error());
    auto out = render_events(*r, since, o.json, follow);
    if (!out) return fail(out.error());
    std::cout << out->text << std::flush;
    if (!follow) return 0;
    since = out->next_since;
    if (!out->more) std::this_thread::sleep_for(std::chrono::milliseconds(500));
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

int cmd_dashboard(const CommonOptions& o) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  if (auto id = client->get("/api/v0/id"); !id) return fail(id.error());
  auto url = read_api_url(o.repo);  // the dashboard is on TCP only: a browser needs it
  if (!url) return fail(make_error(Errc::not_found, "the daemon has no TCP API address"));
  std::ifstream token_file(o.repo / "api.token");
  std::string token;
  if (!(token_file >> token))
    return fail(make_error(Errc::io, "cannot read " + (o.repo / "api.token").string()));
  std::string login = *url + "/login#token=" + token;
  if (o.json) {
    std::cout << nlohmann::json{{"url", *url + "/"}, {"login_url", login}}.dump() << "\n";
  } else {
    std::cout << *url << "/\n"
              << "log in: " << login << "\n"
              << "(the link holds the API token: it gives full control of this daemon)\n";
  }
  return kExitOk;
}

int cmd_shutdown(const CommonOptions& o) {
  return call(o, true, "/api/v0/shutdown", {},
              [](const nlohmann::json&) { std::cout << "daemon shutting down\n"; });
}

namespace {

// Tells the running daemon, if any; returns whether one took the change.
bool tell_daemon(const CommonOptions& o, const std::string& path,
                 const std::vector<std::string>& addrs) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return false;  // no daemon: the config is enough
  bool ok = true;
  for (const auto& addr : addrs) {
    auto r = client->post(path, {{"arg", addr}});
    if (!r) {
      std::cerr << "warning: config.toml is updated, but the running daemon said: "
                << r.error().message << "\n";
      ok = false;
    }
  }
  return ok;
}

nlohmann::json string_list(const std::vector<std::string>& v) {
  auto out = nlohmann::json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

int cmd_bootstrap_list(const CommonOptions& o) {
  auto list = bootstrap_peers(o.repo);
  if (!list) return fail(list.error());
  if (o.json) {
    std::cout << nlohmann::json{{"bootstrap", string_list(*list)}}.dump() << "\n";
  } else if (list->empty()) {
    std::cout << "the bootstrap list is empty\n";
  } else {
    for (const auto& a : *list) std::cout << a << "\n";
  }
  return 0;
}

int cmd_bootstrap_add(const CommonOptions& o, const std::vector<std::string>& given) {
  auto list = bootstrap_peers(o.repo);
  if (!list) return fail(list.error());
  std::vector<std::string> added, wanted;
  for (const auto& text : given) {
    auto addr = canonical_bootstrap_addr(text);
    if (!addr) return fail(make_error(Errc::invalid_input, text + ": " + addr.error().message));
    wanted.push_back(*addr);
    if (std::find(list->begin(), list->end(), *addr) != list->end()) continue;
    list->push_back(*addr);
    added.push_back(*addr);
  }
  if (!added.empty())
    if (Status st = set_bootstrap_peers(o.repo, *list); !st) return fail(st.error());
  bool daemon = tell_daemon(o, "/api/v0/bootstrap/add", wanted);
  if (o.json) {
    std::cout << nlohmann::json{{"bootstrap", string_list(*list)},
                                {"added", string_list(added)},
                                {"daemon", daemon}}
                     .dump()
              << "\n";
    return 0;
  }
  for (const auto& a : wanted)
    std::cout << (std::find(added.begin(), added.end(), a) != added.end() ? "added "
                                                                          : "already listed ")
              << a << "\n";
  if (daemon) std::cout << "the running daemon is dialling it\n";
  return 0;
}

int cmd_bootstrap_rm(const CommonOptions& o, const std::vector<std::string>& given, bool all) {
  auto list = bootstrap_peers(o.repo);
  if (!list) return fail(list.error());
  if (!all && given.empty())
    return fail(make_error(Errc::invalid_input, "name the addresses to remove, or use --all"));
  std::vector<std::string> removed = all ? *list : std::vector<std::string>{};
  if (!all) {
    for (const auto& text : given) {
      auto addr = canonical_bootstrap_addr(text);
      if (!addr) return fail(make_error(Errc::invalid_input, text + ": " + addr.error().message));
      if (std::find(list->begin(), list->end(), *addr) == list->end())
        return fail(make_error(Errc::not_found, "not in the bootstrap list: " + *addr));
      removed.push_back(*addr);
    }
  }
  std::erase_if(*list, [&](const std::string& a) {
    return std::find(removed.begin(), removed.end(), a) != removed.end();
  });
  if (!removed.empty())
    if (Status st = set_bootstrap_peers(o.repo, *list); !st) return fail(st.error());
  bool daemon = tell_daemon(o, "/api/v0/bootstrap/rm", removed);
  if (o.json) {
    std::cout << nlohmann::json{{"bootstrap", string_list(*list)},
                                {"removed", string_list(removed)},
                                {"daemon", daemon}}
                     .dump()
              << "\n";
    return 0;
  }
  for (const auto& a : removed) std::cout << "removed " << a << "\n";
  if (removed.empty()) std::cout << "the bootstrap list was already empty\n";
  return 0;
}

std::string ago(int64_t unix_ms) {
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  int64_t s = std::max<int64_t>(0, (now_ms - unix_ms) / 1000);
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  if (s < 172800) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

int cmd_swarm_known(const CommonOptions& o) {
  return call(o, false, "/api/v0/swarm/known", {}, [](const nlohmann::json& r) {
    const auto& peers = r["peers"];
    if (peers.empty()) std::cout << "the peer store is empty\n";
    for (const auto& p : peers) {
      std::cout << p["peer"].get<std::string>() << "  "
                << (p["connected"].get<bool>() ? "connected" : "seen " + ago(p["last_seen_ms"]))
                << "  latency " << ms_text(p.value("latency_ms", nlohmann::json())) << "  found by "
                << (p["sources"].empty() ? "-" : join_strings(p["sources"]));
      if (!p["agent"].get<std::string>().empty())
        std::cout << "  " << p["agent"].get<std::string>();
      std::cout << "  " << p["protocols"].size() << " protocols\n";
      for (const auto& a : p["addrs"]) std::cout << "    " << a["addr"].get<std::string>() << "\n";
    }
  });
}

int cmd_swarm_protect(const CommonOptions& o, const std::string& peer, const std::string& tag,
                      bool protect) {
  if (Status st = validate_peer_id(peer); !st) return fail(st.error());
  return call(o, true, protect ? "/api/v0/swarm/protect" : "/api/v0/swarm/unprotect",
              {{"arg", peer}, {"tag", tag}}, [](const nlohmann::json& r) {
                std::cout << r["peer"].get<std::string>()
                          << (r["protected"].get<bool>() ? " is protected" : " is not protected")
                          << " from trimming\n";
              });
}

}  // namespace

void register_peer_commands(CLI::App& app, PeerCommandArgs& a) {
  if (CLI::App* swarm = app.get_subcommand("swarm")) {
    a.known = swarm->add_subcommand(
        "known", "List the peer store: every known peer, its addresses, last seen, latency");
    a.protect = swarm->add_subcommand(
        "protect", "Keep the connection manager from closing connections to a peer");
    a.unprotect = swarm->add_subcommand("unprotect", "Undo `swarm protect` (for one tag)");
    for (CLI::App* sub : {a.protect, a.unprotect}) {
      sub->add_option("peer", a.peer, "Peer id")->required();
      sub->add_option("--tag", a.tag, "Who protects it (several tags may protect one peer)");
    }
  }
  a.bootstrap = app.add_subcommand(
      "bootstrap",
      "Show or edit the bootstrap list ([discovery] bootstrap in config.toml): peers dialled at "
      "start and whenever connections fall below the low watermark");
  a.bootstrap->require_subcommand(1);
  a.bootstrap_list = a.bootstrap->add_subcommand("list", "Print the bootstrap list");
  a.bootstrap_add = a.bootstrap->add_subcommand(
      "add", "Add addresses (ending in /p2p/<peer id>); a running daemon dials them at once");
  a.bootstrap_add->add_option("multiaddr", a.addrs, "Peer address")->required();
  a.bootstrap_rm = a.bootstrap->add_subcommand("rm", "Remove addresses from the bootstrap list");
  a.bootstrap_rm->add_option("multiaddr", a.addrs, "Peer address");
  a.bootstrap_rm->add_flag("--all", a.all, "Remove every address");
}

std::optional<int> run_peer_command(const CommonOptions& o, PeerCommandArgs& a) {
  if (a.known && *a.known) return cmd_swarm_known(o);
  if (a.protect && *a.protect) return cmd_swarm_protect(o, a.peer, a.tag, true);
  if (a.unprotect && *a.unprotect) return cmd_swarm_protect(o, a.peer, a.tag, false);
  if (a.bootstrap_list && *a.bootstrap_list) return cmd_bootstrap_list(o);
  if (a.bootstrap_add && *a.bootstrap_add) return cmd_bootstrap_add(o, a.addrs);
  if (a.bootstrap_rm && *a.bootstrap_rm) return cmd_bootstrap_rm(o, a.addrs, a.all);
  return std::nullopt;
}

}  // namespace agora
