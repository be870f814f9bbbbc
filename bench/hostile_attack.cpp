// agora_bench_attack: the hostile-peer attacks of tests/integration/hostile_peers_test.cpp as a
// program, to aim at a running daemon (any build, so before/after figures come from one script):
//
//   perf-noread  one connection asks /perf/1.0.0 for 300 MB, announces a ~4 GiB yamux window,
//                never reads (its socket receive buffer is 16 KiB)
//   ping-flood   one connection sends yamux pings as fast as it can and never reads the ACKs
//   silent       COUNT TCP connections that never send a byte, reopened as the daemon closes them
//   identities   COUNT connections, each a fresh identity, upgraded and then idle, refilled as the
//                daemon closes them
//
// Every attack comes from --source-ip (default 127.0.2.1; identities spread over 127.0.3.1..254)
// and stops by itself after --seconds. Output: one JSON line with what it did.
// Usage: agora_bench_attack --target /ip4/127.0.0.1/tcp/PORT/p2p/ID --attack KIND
//            [--seconds 10] [--count 64] [--source-ip 127.0.2.1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "attacker.h"

namespace {

using namespace agora;
using Clock = std::chrono::steady_clock;

struct Options {
  Multiaddr target;
  std::string attack;
  int seconds = 10;
  int count = 64;
  std::string source_ip = "127.0.2.1";
};

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string key = argv[i], value = argv[i + 1];
    if (key == "--target") {
      auto addr = Multiaddr::parse(value);
      if (!addr || !addr->peer_id() || !addr->tcp_endpoint()) return false;
      o.target = *addr;
    } else if (key == "--attack") {
      o.attack = value;
    } else if (key == "--seconds") {
      o.seconds = std::atoi(value.c_str());
    } else if (key == "--count") {
      o.count = std::atoi(value.c_str());
    } else if (key == "--source-ip") {
      o.source_ip = value;
    } else {
      return false;
    }
  }
  return !o.target.empty() && !o.attack.empty() && o.seconds > 0 && o.count > 0;
}

Bytes perf_request(uint64_t bytes) {
  Bytes request = test::frame(yamux::YamuxType::window_update, yamux::yamux_flag::syn, 1,
                              0xffffffffu - yamux::kYamuxSpecWindowBytes);
  Bytes payload = test::multistream_line("/multistream/1.0.0");
  append(payload, test::multistream_line("/perf/1.0.0"));
  uint8_t size[8];
  put_u64_be(size, bytes);
  payload.insert(payload.end(), size, size + 8);
  append(request, test::frame(yamux::YamuxType::data, 0, 1, uint32_t(payload.size())));
  append(request, payload);
  append(request, test::frame(yamux::YamuxType::window_update, yamux::yamux_flag::fin, 1, 0));
  return request;
}

int perf_noread(const Options& o, uint16_t port, const PeerId& peer, Clock::time_point end) {
  auto a =
      test::upgrade_attacker(port, peer, {.source_ip = o.source_ip, .receive_buffer_bytes = 16384});
  if (!a) {
    std::printf("{\"attack\":\"perf-noread\",\"error\":\"%s\"}\n", a.error().message.c_str());
    return 1;
  }
  bool sent = a->send_plain(perf_request(300'000'000));
  std::this_thread::sleep_until(end);
  std::printf("{\"attack\":\"perf-noread\",\"request_sent\":%s}\n", sent ? "true" : "false");
  return 0;
}

int ping_flood(const Options& o, uint16_t port, const PeerId& peer, Clock::time_point end) {
  auto a =
      test::upgrade_attacker(port, peer, {.source_ip = o.source_ip, .receive_buffer_bytes = 4096});
  if (!a) {
    std::printf("{\"attack\":\"ping-flood\",\"error\":\"%s\"}\n", a.error().message.c_str());
    return 1;
  }
  Bytes batch;
  for (uint32_t i = 0; i < 4000; ++i)
    append(batch, test::frame(yamux::YamuxType::ping, yamux::yamux_flag::syn, 0, i));
  uint64_t pings = 0;
  bool cut_off = false;
  while (Clock::now() < end) {
    if (!a->send_plain(batch)) {
      cut_off = true;
      break;
    }
    pings += 4000;
  }
  std::this_thread::sleep_until(end);
  std::printf("{\"attack\":\"ping-flood\",\"pings_sent\":%llu,\"cut_off\":%s}\n",
              static_cast<unsigned long long>(pings), cut_off ? "true" : "false");
  return 0;
}

// Keeps `count` connections made by `make` open until `end`, replacing those the daemon closed.
template <class Conn, class Make, class Closed>
std::pair<uint64_t, uint64_t> hold(int count, Clock::time_point end, Make make, Closed closed) {
  std::vector<Conn> held;
  uint64_t opened = 0, failed = 0;
  while (Clock::now() < end) {
    std::erase_if(held, closed);
    while (int(held.size()) < count && Clock::now() < end) {
      if (auto c = make(opened + failed)) {
        held.push_back(std::move(*c));
        ++opened;
      } else {
        ++failed;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return {opened, failed};
}

bool closed_now(test::RawSocket& s) {
  Bytes sink;
  s.read_until(
      sink, [] { return false; }, std::chrono::milliseconds(1));
  return s.peer_closed();
}

int silent(const Options& o, uint16_t port, Clock::time_point end) {
  auto [opened, failed] = hold<test::RawSocket>(
      o.count, end,
      [&](uint64_t) -> std::optional<test::RawSocket> {
        auto s = test::silent_connection(port, o.source_ip);
        if (!s.ok()) return std::nullopt;
        return s;
      },
      closed_now);
  std::printf("{\"attack\":\"silent\",\"connections_opened\":%llu,\"failed\":%llu}\n",
              static_cast<unsigned long long>(opened), static_cast<unsigned long long>(failed));
  return 0;
}

int identities(const Options& o, uint16_t port, const PeerId& peer, Clock::time_point end) {
  auto [opened, failed] = hold<test::SecuredAttacker>(
      o.count, end,
      [&](uint64_t n) -> std::optional<test::SecuredAttacker> {
        std::string ip = "127.0.3." + std::to_string(1 + n % 254);
        auto a = test::upgrade_attacker(port, peer, {.source_ip = ip});
        if (!a) return std::nullopt;
        return std::move(*a);
      },
      [](test::SecuredAttacker& a) { return closed_now(a.sock); });
  std::printf("{\"attack\":\"identities\",\"identities_admitted\":%llu,\"refused\":%llu}\n",
              static_cast<unsigned long long>(opened), static_cast<unsigned long long>(failed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse_options(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: agora_bench_attack --target /ip4/127.0.0.1/tcp/PORT/p2p/ID --attack "
                 "perf-noread|ping-flood|silent|identities [--seconds 10] [--count 64] "
                 "[--source-ip 127.0.2.1]\n");
    return 2;
  }
  uint16_t port = o.target.tcp_endpoint()->port;
  PeerId peer = *o.target.peer_id();
  auto end = Clock::now() + std::chrono::seconds(o.seconds);
  if (o.attack == "perf-noread") return perf_noread(o, port, peer, end);
  if (o.attack == "ping-flood") return ping_flood(o, port, peer, end);
  if (o.attack == "silent") return silent(o, port, end);
  if (o.attack == "identities") return identities(o, port, peer, end);
  std::fprintf(stderr, "unknown attack '%s'\n", o.attack.c_str());
  return 2;
}
