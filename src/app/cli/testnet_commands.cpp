#include "app/cli/testnet_commands.h"

#include <fmt/format.h>

#include <array>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include "agora/repo.h"
#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"
#include "app/cli/progress_bar.h"
#include "app/cli/testnet.h"
#include "app/cli/testnet_metrics.h"

namespace agora {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

Result<fs::path> testnet_dir(const TestnetArgs& a) {
  if (!a.dir.empty()) return fs::path(a.dir);
  return testnet::default_dir();
}

// The value of one unlabelled counter in Prometheus text, or 0.
double metric_value(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0) return std::strtod(line.c_str() + name.size() + 1, nullptr);
  return 0;
}

// What one peer's daemon says about itself; {"running": false} when it does not answer.
json peer_status(const testnet::PeerState& p) {
  json out = {{"name", p.name}, {"repo", p.repo.string()}, {"peer", p.peer}, {"addr", p.addr}};
  out["running"] = testnet::daemon_alive(p.pid, p.repo);
  if (!out["running"].get<bool>()) return out;
  out["pid"] = p.pid;
  auto client = ApiClient::connect(p.repo);
  if (!client) {
    out["error"] = client.error().message;
    return out;
  }
  if (auto conns = client->get("/api/v0/swarm/peers", {}); conns && conns->is_array()) {
    std::set<std::string> peers;
    for (const json& c : *conns) peers.insert(c.value("peer", ""));
    out["connected_peers"] = peers.size();
  }
  if (auto dht = client->get("/api/v0/dht/status", {}); dht && dht->is_object()) {
    out["dht"] = {{"bootstrapped", dht->value("bootstrapped", false)},
                  {"routing_table", dht->value("routing_table", 0)},
                  {"provider_records", dht->value("provider_records", 0)},
                  {"provided_keys", dht->value("provided_keys", 0)},
                  {"bad_input", dht->value("bad_input", 0)}};
  }
  if (auto metrics = client->get_text("/metrics")) {
    // Counters of bytes: whole numbers in the JSON, not 1.2e+08.
    out["bitswap"] = {
        {"bytes_sent", uint64_t(metric_value(*metrics, "agora_bitswap_block_bytes_sent_total"))},
        {"bytes_received",
         uint64_t(metric_value(*metrics, "agora_bitswap_block_bytes_received_total"))}};
    out["xfer"] = {
        {"bytes_sent", uint64_t(metric_value(*metrics, "agora_xfer_leaf_bytes_sent_total"))},
        {"bytes_received",
         uint64_t(metric_value(*metrics, "agora_xfer_leaf_bytes_received_total"))}};
  }
  return out;
}

json network_json(const std::string& fingerprint) {
  return {{"private", !fingerprint.empty()},
          {"fingerprint", fingerprint.empty() ? json(nullptr) : json(fingerprint)}};
}

// Only the DHT's status: `up` asks every daemon several times a second.
bool bootstrapped(const testnet::PeerState& p) {
  if (!testnet::daemon_alive(p.pid, p.repo)) return false;
  auto client = ApiClient::connect(p.repo);
  if (!client) return false;
  auto dht = client->get("/api/v0/dht/status", {});
  return dht && dht->is_object() && dht->value("bootstrapped", false);
}

// Polls every daemon's DHT until all say they are bootstrapped; false after `timeout`.
bool wait_bootstrapped(const testnet::State& state, std::chrono::seconds timeout, bool quiet) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  size_t last = SIZE_MAX;
  for (;;) {
    size_t done = 0;
    for (const auto& p : state.peers) done += bootstrapped(p) ? 1 : 0;
    if (!quiet && done != last)
      std::cout << "  " << done << "/" << state.peers.size() << " DHTs bootstrapped\n"
                << std::flush;
    last = done;
    if (done == state.peers.size()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

int cmd_up(const CommonOptions& o, const TestnetArgs& a) {
  auto dir = testnet_dir(a);
  if (!dir) return fail(dir.error());
  testnet::UpOptions up;
  up.dir = *dir;
  up.peers = a.peers;
  up.bootstrap_peers = a.bootstrap_peers;
  up.low_water = a.low_water;
  up.public_network = a.public_network;
  std::error_code ec;
  up.agora_binary = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fail(make_error(Errc::io, "cannot find the agora binary: " + ec.message()));
  // Refused before anything is printed or started, with the command that stops the running one.
  if (testnet::runs_in(*dir)) {
    std::string down = "agora testnet down" + (a.dir.empty() ? "" : " --dir " + a.dir);
    return fail(make_error(Errc::exists, "a testnet already runs in " + dir->string() +
                                             "; stop it first with `" + down + "`"));
  }
  auto started = std::chrono::steady_clock::now();
  if (!o.json)
    std::cout << "starting " << count_of(a.peers, "daemon") << " in " << dir->string() << "\n";
  auto state = testnet::up(up, [&](const testnet::PeerState& p, size_t) {
    if (!o.json) std::cout << fmt::format("  {:8} {}  {}\n", p.name, p.peer, p.addr) << std::flush;
  });
  if (!state) return fail(state.error());
  bool ready = a.wait_seconds <= 0 ||
               wait_bootstrapped(*state, std::chrono::seconds(a.wait_seconds), o.json);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::optional<Result<std::string>> prometheus;
  if (a.metrics) prometheus = testnet::start_prometheus(*dir, *state, a.metrics_port);
  if (o.json) {
    json peers = json::array();
    for (const auto& p : state->peers) peers.push_back(testnet::peer_json(p));
    json out = {{"dir", fs::absolute(*dir).string()},
                {"peers", peers},
                {"network", network_json(state->network)},
                {"bootstrapped", ready},
                {"seconds", seconds}};
    if (prometheus && *prometheus) out["prometheus"] = **prometheus;
    std::cout << out.dump() << "\n";
  } else {
    std::cout << fmt::format("testnet of {} up in {:.1f} s{}\n",
                             count_of(state->peers.size(), "peer"), seconds,
                             ready ? "" : " (not every DHT bootstrapped yet)")
              << (state->network.empty()
                      ? std::string("network: public (--public)\n")
                      : "network: private, key fingerprint " + state->network + " (" +
                            (fs::absolute(*dir) / kSwarmKeyFileName).string() + ")\n")
              << "use a peer with: agora --repo " << state->peers.front().repo.string()
              << " <command>\n";
    if (prometheus && *prometheus)
      std::cout << "prometheus " << **prometheus << " scrapes every daemon (config "
                << (fs::absolute(*dir) / "prometheus" / "prometheus.yml").string()
                << "; dashboard: docs/grafana/agora-dashboard.json)\n";
  }
  if (prometheus && !*prometheus) {
    Error e = prometheus->error();
    return fail(make_error(e.code, e.message + " (the testnet's daemons are running)"));
  }
  return ready ? 0 : 1;
}

int cmd_status(const CommonOptions& o, const TestnetArgs& a) {
  auto dir = testnet_dir(a);
  if (!dir) return fail(dir.error());
  auto state = testnet::load_state(*dir);
  if (!state) return fail(state.error());
  json peers = json::array();
  size_t running = 0;
  for (const auto& p : state->peers) {
    peers.push_back(peer_status(p));
    running += peers.back()["running"].get<bool>() ? 1 : 0;
  }
  if (o.json) {
    std::cout << json{{"dir", dir->string()},
                      {"running", running},
                      {"network", network_json(state->network)},
                      {"peers", peers}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << fmt::format(
      "{} of {} peers running in {}, {}\n", running, peers.size(), dir->string(),
      state->network.empty() ? "public network" : "private network " + state->network);
  auto row = [](const std::string& name, const std::string& peer,
                const std::array<std::string, 6>& figures, const std::string& state) {
    std::cout << fmt::format("{:8} {:12} {:>5} {:>6} {:>5} {:>5} {:>9} {:>9}  {}\n", name, peer,
                             figures[0], figures[1], figures[2], figures[3], figures[4], figures[5],
                             state);
  };
  row("name", "peer", {"conns", "table", "provs", "bad", "sent", "received"}, "state");
  for (const json& p : peers) {
    std::string name = p["name"].get<std::string>(), peer = p["peer"].get<std::string>();
    if (peer.size() > 12) peer = "…" + peer.substr(peer.size() - 11);
    if (!p["running"].get<bool>()) {
      row(name, peer, {"-", "-", "-", "-", "-", "-"}, "stopped");
      continue;
    }
    json dht = p.value("dht", json::object());
    json bs = p.value("bitswap", json::object()), xf = p.value("xfer", json::object());
    auto bytes = [&](const char* key) {
      return human_bytes(bs.value(key, 0.0) + xf.value(key, 0.0));
    };
    auto count = [](const json& j, const char* key) { return std::to_string(j.value(key, 0)); };
    std::string state = p.contains("error")                 ? p["error"].get<std::string>()
                        : !dht.value("bootstrapped", false) ? "DHT not bootstrapped"
                                                            : "ok";
    row(name, peer,
        {count(p, "connected_peers"), count(dht, "routing_table"), count(dht, "provider_records"),
         count(dht, "bad_input"), bytes("bytes_sent"), bytes("bytes_received")},
        state);
  }
  return 0;
}

int cmd_down(const CommonOptions& o, const TestnetArgs& a) {
  auto dir = testnet_dir(a);
  if (!dir) return fail(dir.error());
  bool prometheus_stopped = testnet::stop_prometheus(*dir);
  auto stopped = testnet::down(*dir, std::chrono::seconds(a.stop_seconds));
  if (!stopped) return fail(stopped.error());
  const size_t killed = stopped->killed;
  if (a.remove) {
    std::error_code ec;
    fs::remove_all(*dir, ec);
    if (ec)
      return fail(make_error(Errc::io, "cannot remove " + dir->string() + ": " + ec.message()));
  }
  if (o.json) {
    std::cout << json{{"stopped", stopped->daemons},
                      {"killed", killed},
                      {"removed", a.remove},
                      {"prometheus_stopped", prometheus_stopped}}
                     .dump()
              << "\n";
  } else {
    std::cout << "testnet in " << dir->string() << " stopped";
    if (prometheus_stopped) std::cout << " (and its Prometheus)";
    if (killed)
      std::cout << " (" << killed << " did not stop within " << a.stop_seconds
                << " s and were killed)";
    std::cout << (a.remove ? "; its repos are removed\n" : "; its repos are kept\n");
  }
  return killed ? 1 : 0;
}

}  // namespace

void register_testnet_commands(CLI::App& app, TestnetArgs& a) {
  a.testnet = app.add_subcommand("testnet",
                                 "A local testnet: N daemons on loopback, each with its own repo");
  a.testnet->require_subcommand(1);
  auto dir_option = [&](CLI::App* sub) {
    sub->add_option("--dir", a.dir,
                    "Testnet directory (default: $AGORA_TESTNET or ~/.agora-testnet)");
  };
  a.up = a.testnet->add_subcommand(
      "up",
      "Start N daemons (repos created on first use, reused after), each bootstrapped to the first "
      "few; waits until every DHT is bootstrapped. The testnet is a private network (one "
      "swarm.key in its directory, shared by its daemons) unless --public");
  dir_option(a.up);
  a.up->add_flag("--public", a.public_network,
                 "A public testnet: no swarm.key, so other libp2p peers (js-libp2p, kubo) can "
                 "connect to its daemons");
  a.up->add_option("-n,--peers", a.peers, "Number of daemons")
      ->check(CLI::Range(size_t(1), testnet::kPeersMax))
      ->capture_default_str();
  a.up->add_option("--bootstrap-peers", a.bootstrap_peers,
                   "How many of the first daemons the others bootstrap to")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  a.up->add_option("--low-water", a.low_water,
                   "[connections] low_water for new repos (0: no dialling of known peers, so "
                   "connections come from bootstrap, the DHT and commands)")
      ->check(CLI::Range(size_t(0), default_connections_high_water()));
  a.up->add_flag("--metrics", a.metrics,
                 "Also start Prometheus (Debian's `prometheus` on PATH, or $AGORA_PROMETHEUS) "
                 "scraping every daemon, on 127.0.0.1:--metrics-port; `down` stops it");
  a.up->add_option("--metrics-port", a.metrics_port, "Prometheus's port (default 9090)")
      ->check(CLI::Range(1, 65535));
  a.up->add_option("--wait", a.wait_seconds,
                   "Seconds to wait for every DHT to bootstrap (0: do not wait)")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  a.status = a.testnet->add_subcommand(
      "status",
      "Each daemon: running, connections, routing table, provider records, bad input, "
      "content bytes sent and received (bitswap and xfer)");
  dir_option(a.status);
  a.down = a.testnet->add_subcommand(
      "down", "Stop every daemon cleanly (SIGTERM; killed after --timeout seconds)");
  dir_option(a.down);
  a.down->add_option("--timeout", a.stop_seconds, "Seconds to wait for a clean stop")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  a.down->add_flag("--rm", a.remove, "Also remove the testnet directory and its repos");
}

std::optional<int> run_testnet_command(const CommonOptions& o, TestnetArgs& a) {
  if (!a.testnet || !*a.testnet) return std::nullopt;
  if (*a.up) return cmd_up(o, a);
  if (*a.status) return cmd_status(o, a);
  if (*a.down) return cmd_down(o, a);
  return std::nullopt;
}

}  // namespace agora
