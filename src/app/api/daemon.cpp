#include "app/api/daemon.h"

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agora/node.h"
#include "agora/repo.h"
#include "agora/version.h"
#include "app/api/daemon_log.h"
#include "app/api/server.h"

namespace agora {

namespace {

// Where the daemon tells what it does: its start-up lines on stdout (JSON with --json), as people
// and scripts have always read them, each also in a log file with a time and a level (not in a
// log on stderr: a terminal or a journal taking both would show every line twice).
struct Reporter {
  bool json = false;
  spdlog::logger* log = nullptr;
  bool log_repeats_stdout = false;

  void say(const nlohmann::json& event, const std::string& text,
           spdlog::level::level_enum level = spdlog::level::info) const {
    if (json) {
      std::cout << event.dump() << std::endl;
    } else {
      std::cout << text << std::endl;
    }
    if (log == nullptr || !log_repeats_stdout) return;
    size_t from = 0;
    while (from <= text.size()) {  // one log line per line of text
      size_t nl = std::min(text.find('\n', from), text.size());
      log->log(level, "{}", text.substr(from, nl - from));
      from = nl + 1;
    }
  }

  // The CLI's error shape (docs/cli.md): under --json one object on stderr; exit code 1.
  int fail(const Error& e) const {
    if (log != nullptr && log_repeats_stdout) log->error("{}", e.message);
    if (json) {
      std::cerr << nlohmann::json{{"kind", errc_name(e.code)},
                                  {"message", e.message},
                                  {"exit_code", 1}}
                       .dump()
                << std::endl;
    } else {
      std::cerr << "error: " << e.message << std::endl;
    }
    return 1;
  }
};

// Exports a killed daemon left half-written, removed before the API takes new ones.
void report_partial_outputs(const Reporter& out, const StartReport& r) {
  if (!r.partial_outputs_error.empty()) {
    out.say({{"event", "partial_outputs"}, {"error", r.partial_outputs_error}},
            "cannot clean up interrupted exports: " + r.partial_outputs_error, spdlog::level::warn);
  }
  for (const PartialOutput& p : r.partial_outputs) {
    std::string detail = p.path + (p.error.empty() ? "" : ": " + p.error);
    out.say(
        {{"event", "partial_output"}, {"path", p.path}, {"removed", p.removed}, {"error", p.error}},
        (p.removed ? "removed interrupted export " : "interrupted export not removed: ") + detail,
        spdlog::level::warn);
  }
}

// One line each on the network and discovery, so a user (and a test) sees whether the node is in
// a private network, whether mDNS is on and where, the bootstrap peers, and the DHT's mode and
// what agora.db gave back (a restarted node keeps its routing table).
void report_start(const Reporter& out, const StartReport& r) {
  for (const std::string& addr : r.listen_addrs)
    out.say({{"event", "listening"}, {"addr", addr}}, "listening " + addr);
  if (r.private_network.empty()) {
    out.say({{"event", "network"}, {"private", false}, {"fingerprint", nullptr}},
            "public network (no swarm.key: any libp2p peer may connect)");
  } else {
    out.say(
        {{"event", "network"}, {"private", true}, {"fingerprint", r.private_network}},
        "private network " + r.private_network + " (swarm.key: only peers with the key connect)");
  }
  out.say({{"event", "peerstore"}, {"peers", r.peers_loaded}},
          "peerstore " + std::to_string(r.peers_loaded) + " peers loaded");
  if (r.mdns_running) {
    out.say({{"event", "mdns"}, {"interface", r.mdns_interface}, {"service", r.mdns_service}},
            "mdns on " + r.mdns_interface + " (" + r.mdns_service + ")");
  } else if (!r.mdns_error.empty()) {
    out.say({{"event", "mdns"}, {"error", r.mdns_error}},
            "mdns off: " + r.mdns_error + " (running without LAN discovery)", spdlog::level::warn);
  } else {
    out.say({{"event", "mdns"}, {"interface", nullptr}}, "mdns off (config)");
  }
  std::string peers;
  for (const std::string& addr : r.bootstrap) peers += " " + addr;
  out.say({{"event", "bootstrap"}, {"peers", r.bootstrap}},
          "bootstrap " + std::to_string(r.bootstrap.size()) + " peers" + peers);
  const char* mode = r.dht_server_mode ? "server" : "client";
  out.say({{"event", "dht"},
           {"mode", mode},
           {"routing_loaded", r.routing_loaded},
           {"providers_loaded", r.providers_loaded},
           {"provided_loaded", r.provided_loaded}},
          std::string("dht ") + mode + ", " + std::to_string(r.routing_loaded) +
              " routing table peers loaded, " + std::to_string(r.provided_loaded) +
              " provided keys, " + std::to_string(r.providers_loaded) + " provider records");
}

// "4.0 MB/s" for a limit in bytes per second, "no limit" for 0.
std::string rate_text(uint64_t bytes_per_second) {
  if (bytes_per_second == 0) return "no limit";
  return fmt::format("{:.1f} MB/s", double(bytes_per_second) / 1e6);
}

void report_bandwidth(const Reporter& out, const StartReport& r) {
  std::string text = "bandwidth upload " + rate_text(r.upload_bytes_per_second) + ", download " +
                     rate_text(r.download_bytes_per_second);
  if (r.upload_bytes_per_second_per_peer > 0 || r.download_bytes_per_second_per_peer > 0)
    text += "; per peer upload " + rate_text(r.upload_bytes_per_second_per_peer) + ", download " +
            rate_text(r.download_bytes_per_second_per_peer);
  out.say({{"event", "bandwidth"},
           {"upload_bytes_per_second", r.upload_bytes_per_second},
           {"download_bytes_per_second", r.download_bytes_per_second},
           {"upload_bytes_per_second_per_peer", r.upload_bytes_per_second_per_peer},
           {"download_bytes_per_second_per_peer", r.download_bytes_per_second_per_peer}},
          text);
}

void report_ready(const Reporter& out, const Node& node, const ApiServer& api) {
  nlohmann::json ready = {
      {"event", "ready"},
      {"peer", node.peer_id()},
      {"api", api.url()},
      {"dashboard", api.url() + "/"},
      {"api_socket",
       api.unix_path().empty() ? nlohmann::json(nullptr) : nlohmann::json(api.unix_path())}};
  std::string text = "API " + api.url() + "\n";
  if (!api.unix_path().empty()) text += "API socket " + api.unix_path() + "\n";
  text += "Dashboard " + api.url() + "/ (log in with api.token, or `agora dashboard`)\n";
  out.say(ready, text + "ready");
}

// Starts the API over the opened node; its errors name the config key to change.
Status start_api(const Reporter& out, const DaemonOptions& options, Node& node, ApiServer& api) {
  const ApiSettings& settings = node.api_settings();
  std::string socket_path = settings.limits.unix_socket
                                ? std::filesystem::absolute(api_socket_path(options.repo)).string()
                                : "";
  if (Status st = api.start(settings.address, socket_path); !st) {
    Error e = st.error();
    if (e.code == Errc::io)  // a bind that failed: usually a port another program holds
      e.message += " (change `api_address` in " + (options.repo / "config.toml").string() +
                   ", e.g. to 127.0.0.1:0 for any free port, or stop the program that holds it)";
    return e;
  }
  if (!api.unix_error().empty()) {
    std::cerr << "warning: no API socket: " << api.unix_error() << "; the CLI uses TCP\n";
    if (out.log_repeats_stdout)
      out.log->warn("no API socket: {}; the CLI uses TCP", api.unix_error());
  }
  return write_api_url(options.repo, api.url());
}

}  // namespace

int run_daemon(const DaemonOptions& options) {
  // SIGINT and SIGTERM are taken by sigwait below, never delivered to a thread: blocked here,
  // before the node and the API start their threads, which inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Reporter out{.json = options.json, .log_repeats_stdout = !options.log_file.empty()};
  auto level = parse_log_level(options.log_level);
  if (!level) return out.fail(level.error());
  auto log = DaemonLog::open(*level, options.log_file, options.json);
  if (!log) return out.fail(log.error());
  out.log = &(*log)->log();
  out.log->info("{} starting, repo {}", agent_version(), options.repo.string());

  // The node's loop runs on this thread, as a daemon's always has: the main thread's malloc arena
  // returns freed memory (a big DAG walk's) to the system, which a thread's arena holds on to.
  NodeOptions node_options{.repo = options.repo,
                           .inline_muxer = !options.no_inline_muxer,
                           .upload_bytes_per_second = options.upload_rate,
                           .download_bytes_per_second = options.download_rate,
                           .own_loop_thread = false};
  // The libp2p pnet spec's switch: a node told to run only in a private network refuses to start
  // without a key.
  if (const char* force = std::getenv("LIBP2P_FORCE_PNET"); force && std::string(force) == "1") {
    auto network = repo_private_network(options.repo);
    if (!network) return out.fail(network.error());
    if (network->empty())
      return out.fail(
          make_error(Errc::not_found, "LIBP2P_FORCE_PNET=1 but " +
                                          (options.repo / kSwarmKeyFileName).string() +
                                          " does not exist: refusing to run in a public network"));
  }
  auto opened = Node::open(node_options);
  if (!opened) return out.fail(opened.error());
  Node& node = **opened;
  report_partial_outputs(out, node.start_report());
  ApiServer api(node, node.api_settings().token, node.api_settings().limits);
  if (Status st = start_api(out, options, node, api); !st) return out.fail(st.error());
  // A client's shutdown request ends the same wait a user's Ctrl-C does.
  api.on_shutdown_request([] { ::kill(::getpid(), SIGTERM); });

  report_start(out, node.start_report());
  report_bandwidth(out, node.start_report());
  report_ready(out, node, api);
  (*log)->follow_events(node);
  // On a signal: close connections first (in-flight API calls then finish with errors), stop the
  // API server (it waits for those calls, which need the node's loop), and only then stop the loop.
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    out.say({{"event", "stopping"}}, "shutting down");
    (*log)->stop_following();
    node.stop_networking();
    api.stop();
    (void)remove_api_url(options.repo);
    node.stop_loop();
  });
  node.run_loop();
  stopper.join();
  opened->reset();
  out.say({{"event", "stopped"}}, "stopped");
  return 0;
}

}  // namespace agora
