#include "app/daemon.h"

#include <iostream>
#include <thread>

#include "app/api_server.h"
#include "node/node.h"
#include "store/api_file.h"
#include "store/repo.h"
#include "store/repo_lock.h"

namespace agora {

static void say(bool json, const nlohmann::json& event, const std::string& text) {
  if (json) {
    std::cout << event.dump() << std::endl;
  } else {
    std::cout << text << std::endl;
  }
}

// One line each on discovery, so a user (and a test) sees whether mDNS is on and where.
static void report_connectivity(bool json, Connectivity& c) {
  say(json, {{"event", "peerstore"}, {"peers", c.peers_loaded()}},
      "peerstore " + std::to_string(c.peers_loaded()) + " peers loaded");
  if (c.mdns_running()) {
    say(json, {{"event", "mdns"}, {"interface", c.mdns_interface()}},
        "mdns on " + c.mdns_interface());
  } else if (!c.mdns_error().empty()) {
    say(json, {{"event", "mdns"}, {"error", c.mdns_error()}},
        "mdns off: " + c.mdns_error() + " (running without LAN discovery)");
  } else {
    say(json, {{"event", "mdns"}, {"interface", nullptr}}, "mdns off (config)");
  }
}

// The DHT's mode and what agora.db gave back (a restarted node keeps its routing table).
static void report_dht(bool json, KadService& dht) {
  const char* mode = dht.server_mode() ? "server" : "client";
  say(json,
      {{"event", "dht"},
       {"mode", mode},
       {"routing_loaded", dht.routing_loaded()},
       {"providers_loaded", dht.providers_loaded()},
       {"provided_loaded", dht.provided_loaded()}},
      std::string("dht ") + mode + ", " + std::to_string(dht.routing_loaded()) +
          " routing table peers loaded, " + std::to_string(dht.provided_loaded()) +
          " provided keys, " + std::to_string(dht.providers_loaded()) + " provider records");
}

// Exports a killed daemon left half-written: removed before the API takes new ones.
static void remove_partial_outputs(bool json, Content& content, observe::EventRecorder& events) {
  auto left = content.remove_partial_outputs();
  if (!left) {
    say(json, {{"event", "partial_outputs"}, {"error", left.error().message}},
        "cannot clean up interrupted exports: " + left.error().message);
    return;
  }
  for (const store::LeftoverPartial& p : *left) {
    std::string detail = p.path.string() + (p.error.empty() ? "" : ": " + p.error);
    observe::Event e;
    e.type = observe::EventType::partial_output_removed;
    e.reason = p.removed ? "removed" : "not_removed";
    e.detail = detail;
    events.record(std::move(e));
    say(json,
        {{"event", "partial_output"},
         {"path", p.path.string()},
         {"removed", p.removed},
         {"error", p.error}},
        (p.removed ? "removed interrupted export " : "interrupted export not removed: ") + detail);
  }
}

int run_daemon(const DaemonOptions& options) {
  auto repo = store::open_repo(options.repo);
  if (!repo) {
    std::cerr << "error: " << repo.error().message << "\n";
    return 1;
  }
  auto lock = store::RepoLock::acquire(options.repo);
  if (!lock) {
    std::cerr << "error: " << lock.error().message << "\n";
    return 1;
  }
  if (options.no_inline_muxer) repo->config.noise_inline_muxer = false;

  auto content = Content::open(options.repo);
  if (!content) {
    std::cerr << "error: " << content.error().message << "\n";
    return 1;
  }
  asio::io_context io(1);
  Node node(io, repo->identity, repo->config, &(*content)->blocks());
  remove_partial_outputs(options.json, **content, node.events());
  if (Status st = node.start(); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  if (Status st = node.start_connectivity(options.repo); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  if (Status st = node.start_dht(options.repo); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  ApiServer api(node, repo->api_token, repo->config.api, content->get());
  std::string socket_path =
      repo->config.api.unix_socket
          ? std::filesystem::absolute(options.repo / store::kApiSocketFile).string()
          : "";
  if (Status st = api.start(repo->config.api_address, socket_path); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }
  if (!api.unix_error().empty())
    std::cerr << "warning: no API socket: " << api.unix_error() << "; the CLI uses TCP\n";
  if (Status st = store::write_api_file(options.repo, api.url()); !st) {
    std::cerr << "error: " << st.error().message << "\n";
    return 1;
  }

  // Shutdown: close connections first (in-flight API calls then finish with errors), stop the API
  // server off the loop thread (it waits for those calls), and only then stop the loop.
  std::thread stopper;
  bool stopping = false;
  auto shutdown = [&] {
    if (stopping) return;
    stopping = true;
    say(options.json, {{"event", "stopping"}}, "shutting down");
    node.stop();
    stopper = std::thread([&] {
      api.stop();
      (void)store::remove_api_file(options.repo);
      asio::post(io, [&] { io.stop(); });
    });
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](asio::error_code ec, int) {
    if (!ec) shutdown();
  });
  api.on_shutdown_request([&] { asio::post(io, shutdown); });

  for (auto& addr : node.swarm().listen_addrs()) {
    std::string full = addr.with_peer_id(node.peer_id()).to_string();
    say(options.json, {{"event", "listening"}, {"addr", full}}, "listening " + full);
  }
  report_connectivity(options.json, *node.connectivity());
  report_dht(options.json, *node.dht());
  nlohmann::json ready = {
      {"event", "ready"},
      {"peer", node.peer_id().to_string()},
      {"api", api.url()},
      {"api_socket",
       api.unix_path().empty() ? nlohmann::json(nullptr) : nlohmann::json(api.unix_path())}};
  std::string ready_text = "API " + api.url() + "\n";
  if (!api.unix_path().empty()) ready_text += "API socket " + api.unix_path() + "\n";
  say(options.json, ready, ready_text + "ready");
  io.run();
  if (stopper.joinable()) stopper.join();
  say(options.json, {{"event", "stopped"}}, "stopped");
  return 0;
}

}  // namespace agora
