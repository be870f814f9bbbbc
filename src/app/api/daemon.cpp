#include "app/api/daemon.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agora/node.h"
#include "agora/repo.h"
#include "app/api/server.h"

namespace agora {

namespace {

void say(bool json, const nlohmann::json& event, const std::string& text) {
  if (json) {
    std::cout << event.dump() << std::endl;
  } else {
    std::cout << text << std::endl;
  }
}

int fail(const Error& e) {
  std::cerr << "error: " << e.message << "\n";
  return 1;
}

// Exports a killed daemon left half-written, removed before the API takes new ones.
void report_partial_outputs(bool json, const StartReport& r) {
  if (!r.partial_outputs_error.empty()) {
    say(json, {{"event", "partial_outputs"}, {"error", r.partial_outputs_error}},
        "cannot clean up interrupted exports: " + r.partial_outputs_error);
  }
  for (const PartialOutput& p : r.partial_outputs) {
    std::string detail = p.path + (p.error.empty() ? "" : ": " + p.error);
    say(json,
        {{"event", "partial_output"}, {"path", p.path}, {"removed", p.removed}, {"error", p.error}},
        (p.removed ? "removed interrupted export " : "interrupted export not removed: ") + detail);
  }
}

// One line each on the network and discovery, so a user (and a test) sees whether the node is in
// a private network, whether mDNS is on and where, the bootstrap peers, and the DHT's mode and
// what agora.db gave back (a restarted node keeps its routing table).
void report_start(bool json, const StartReport& r) {
  for (const std::string& addr : r.listen_addrs)
    say(json, {{"event", "listening"}, {"addr", addr}}, "listening " + addr);
  if (r.private_network.empty()) {
    say(json, {{"event", "network"}, {"private", false}, {"fingerprint", nullptr}},
        "public network (no swarm.key: any libp2p peer may connect)");
  } else {
    say(json, {{"event", "network"}, {"private", true}, {"fingerprint", r.private_network}},
        "private network " + r.private_network + " (swarm.key: only peers with the key connect)");
  }
  say(json, {{"event", "peerstore"}, {"peers", r.peers_loaded}},
      "peerstore " + std::to_string(r.peers_loaded) + " peers loaded");
  if (r.mdns_running) {
    say(json, {{"event", "mdns"}, {"interface", r.mdns_interface}, {"service", r.mdns_service}},
        "mdns on " + r.mdns_interface + " (" + r.mdns_service + ")");
  } else if (!r.mdns_error.empty()) {
    say(json, {{"event", "mdns"}, {"error", r.mdns_error}},
        "mdns off: " + r.mdns_error + " (running without LAN discovery)");
  } else {
    say(json, {{"event", "mdns"}, {"interface", nullptr}}, "mdns off (config)");
  }
  std::string peers;
  for (const std::string& addr : r.bootstrap) peers += " " + addr;
  say(json, {{"event", "bootstrap"}, {"peers", r.bootstrap}},
      "bootstrap " + std::to_string(r.bootstrap.size()) + " peers" + peers);
  const char* mode = r.dht_server_mode ? "server" : "client";
  say(json,
      {{"event", "dht"},
       {"mode", mode},
       {"routing_loaded", r.routing_loaded},
       {"providers_loaded", r.providers_loaded},
       {"provided_loaded", r.provided_loaded}},
      std::string("dht ") + mode + ", " + std::to_string(r.routing_loaded) +
          " routing table peers loaded, " + std::to_string(r.provided_loaded) + " provided keys, " +
          std::to_string(r.providers_loaded) + " provider records");
}

void report_ready(bool json, const Node& node, const ApiServer& api) {
  nlohmann::json ready = {
      {"event", "ready"},
      {"peer", node.peer_id()},
      {"api", api.url()},
      {"api_socket",
       api.unix_path().empty() ? nlohmann::json(nullptr) : nlohmann::json(api.unix_path())}};
  std::string text = "API " + api.url() + "\n";
  if (!api.unix_path().empty()) text += "API socket " + api.unix_path() + "\n";
  say(json, ready, text + "ready");
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

  // The node's loop runs on this thread, as a daemon's always has: the main thread's malloc arena
  // returns freed memory (a big DAG walk's) to the system, which a thread's arena holds on to.
  NodeOptions node_options{
      .repo = options.repo, .inline_muxer = !options.no_inline_muxer, .own_loop_thread = false};
  // The libp2p pnet spec's switch: a node told to run only in a private network refuses to start
  // without a key.
  if (const char* force = std::getenv("LIBP2P_FORCE_PNET"); force && std::string(force) == "1") {
    auto network = repo_private_network(options.repo);
    if (!network) return fail(network.error());
    if (network->empty())
      return fail(
          make_error(Errc::not_found, "LIBP2P_FORCE_PNET=1 but " +
                                          (options.repo / kSwarmKeyFileName).string() +
                                          " does not exist: refusing to run in a public network"));
  }
  auto opened = Node::open(node_options);
  if (!opened) return fail(opened.error());
  Node& node = **opened;
  report_partial_outputs(options.json, node.start_report());

  const ApiSettings& settings = node.api_settings();
  ApiServer api(node, settings.token, settings.limits);
  std::string socket_path = settings.limits.unix_socket
                                ? std::filesystem::absolute(api_socket_path(options.repo)).string()
                                : "";
  if (Status st = api.start(settings.address, socket_path); !st) return fail(st.error());
  if (!api.unix_error().empty())
    std::cerr << "warning: no API socket: " << api.unix_error() << "; the CLI uses TCP\n";
  if (Status st = write_api_url(options.repo, api.url()); !st) return fail(st.error());
  // A client's shutdown request ends the same wait a user's Ctrl-C does.
  api.on_shutdown_request([] { ::kill(::getpid(), SIGTERM); });

  report_start(options.json, node.start_report());
  report_ready(options.json, node, api);
  // On a signal: close connections first (in-flight API calls then finish with errors), stop the
  // API server (it waits for those calls, which need the node's loop), and only then stop the loop.
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    say(options.json, {{"event", "stopping"}}, "shutting down");
    node.stop_networking();
    api.stop();
    (void)remove_api_url(options.repo);
    node.stop_loop();
  });
  node.run_loop();
  stopper.join();
  opened->reset();
  say(options.json, {{"event", "stopped"}}, "stopped");
  return 0;
}

}  // namespace agora
