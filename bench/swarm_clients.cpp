// agora_bench_clients: N in-process agora Nodes, each with its own Ed25519 identity, each dialing
// one server (usually a separate `agora daemon`) once and sending one ping on the new connection.
//
// Used by bench/connection_setup.sh (per-connection setup time: dial = TCP connect + multistream
// /noise + Noise XX + muxer; then the first ping round trip on a fresh stream) and by
// bench/memory_idle.sh (--hold keeps every connection open until SIGINT/SIGTERM so the server's
// RSS can be read with N idle connections).
//
// Output: one JSON line with the summary; with --hold, then a line "holding <n>" once all dials
// are done. Exit status 1 when any dial or ping failed.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "node/node.h"

namespace {

struct Options {
  std::string server;
  size_t connections = 100;
  size_t concurrency = 1;
  bool hold = false;
};

struct Sample {
  double connect_seconds = 0;     // Node::connect (dial + security + muxer)
  double first_ping_seconds = 0;  // open /ipfs/ping stream + one 32-byte round trip
};

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--hold") {
      o.hold = true;
    } else if (a == "--server" && (v = next())) {
      o.server = v;
    } else if (a == "--connections" && (v = next())) {
      o.connections = std::strtoul(v, nullptr, 10);
    } else if (a == "--concurrency" && (v = next())) {
      o.concurrency = std::max<size_t>(1, std::strtoul(v, nullptr, 10));
    } else {
      return false;
    }
  }
  return !o.server.empty() && o.connections > 0;
}

double seconds_since(agora::Instant start) {
  return std::chrono::duration<double>(agora::rt::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

struct Bench {
  asio::io_context& io;
  Options options;
  agora::Multiaddr server;
  std::vector<std::unique_ptr<agora::node::Node>> nodes;
  std::vector<std::shared_ptr<agora::rt::Connection>> connections;
  std::vector<Sample> samples;
  size_t next = 0;
  size_t failures = 0;
  size_t workers_running = 0;

  agora::rt::awaitable<void> worker() {
    while (next < options.connections) {
      size_t i = next++;
      agora::store::Config config;
      config.listen = {"/ip4/127.0.0.1/tcp/0"};
      config.event_buffer_max = 16;
      nodes[i] = std::make_unique<agora::node::Node>(
          io, agora::crypto::Ed25519PrivateKey::generate(), config);
      if (auto st = nodes[i]->start(); !st) {
        std::fprintf(stderr, "client %zu: start: %s\n", i, st.error().message.c_str());
        ++failures;
        continue;
      }
      agora::Instant start = agora::rt::now();
      auto conn = co_await nodes[i]->connect(server);
      if (!conn) {
        std::fprintf(stderr, "client %zu: connect: %s\n", i, conn.error().message.c_str());
        ++failures;
        continue;
      }
      Sample s;
      s.connect_seconds = seconds_since(start);
      agora::Instant ping_start = agora::rt::now();
      auto rtts = co_await nodes[i]->ping().ping(*conn, 1);
      if (!rtts) {
        std::fprintf(stderr, "client %zu: ping: %s\n", i, rtts.error().message.c_str());
        ++failures;
        continue;
      }
      s.first_ping_seconds = seconds_since(ping_start);
      samples.push_back(s);
      connections.push_back(*conn);
    }
    if (--workers_running == 0) finish();
  }

  void finish() {
    std::vector<double> connect, first_ping, total;
    for (const auto& s : samples) {
      connect.push_back(s.connect_seconds);
      first_ping.push_back(s.first_ping_seconds);
      total.push_back(s.connect_seconds + s.first_ping_seconds);
    }
    auto stats = [](const std::vector<double>& v) {
      char buf[256];
      std::snprintf(buf, sizeof buf,
                    "{\"min_ms\":%.3f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"max_ms\":%.3f}",
                    percentile(v, 0) * 1e3, percentile(v, 0.5) * 1e3, percentile(v, 0.9) * 1e3,
                    percentile(v, 1) * 1e3);
      return std::string(buf);
    };
    std::printf(
        "{\"connections\":%zu,\"failures\":%zu,\"concurrency\":%zu,\"connect\":%s,"
        "\"first_ping\":%s,\"connect_plus_first_ping\":%s}\n",
        samples.size(), failures, options.concurrency, stats(connect).c_str(),
        stats(first_ping).c_str(), stats(total).c_str());
    if (options.hold) {
      std::printf("holding %zu\n", connections.size());
      std::fflush(stdout);
    } else {
      stop();
    }
  }

  void stop() {
    connections.clear();
    for (auto& n : nodes)
      if (n) n->stop();
    io.stop();
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: agora_bench_clients --server MULTIADDR/p2p/ID [--connections N] "
                 "[--concurrency C] [--hold]\n");
    return 2;
  }
  auto server = agora::Multiaddr::parse(options.server);
  if (!server) {
    std::fprintf(stderr, "bad --server: %s\n", server.error().message.c_str());
    return 2;
  }
  asio::io_context io(1);
  Bench bench{io, options, *server, {}, {}, {}, 0, 0, 0};
  bench.nodes.resize(options.connections);
  bench.workers_running = std::min(options.concurrency, options.connections);
  for (size_t w = 0; w < bench.workers_running; ++w)
    asio::co_spawn(io, bench.worker(), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const std::error_code&, int) { bench.stop(); });
  io.run();
  return bench.failures == 0 ? 0 : 1;
}
