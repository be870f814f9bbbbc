// mDNS over real multicast: behaviour::MdnsBehaviour driven by rt::BehaviourHost, whose
// multicast sockets (runtime/asio/multicast_socket.h) carry its datagrams. Each test forks a child
// that enters a fresh user and network namespace (as `unshare -rn` does), brings up its loopback
// with multicast and a route for 224.0.0.0/4, and runs the scenario there: nothing reaches a real
// LAN and the machine's own port 5353 (Avahi) is untouched. Skipped only when the namespaces cannot
// be created.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "behaviour/mdns_behaviour.h"
#include "crypto/random.h"
#include "proto/mdns/testdata/js_capture.h"
#include "runtime/asio/behaviour_host.h"
#include "runtime/asio/multicast_socket.h"

namespace agora::rt {
namespace {

using mdns::MdnsEvent;
using mdns::PeerDiscovered;
using mdns::PeerExpired;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kSkipStatus = 77;

PeerId peer(uint8_t n) { return PeerId::from_public_key({KeyType::ed25519, Bytes(32, n)}); }
Multiaddr addr(std::string_view text) { return Multiaddr::parse(text).value(); }
std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool write_file(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
  ::close(fd);
  return ok;
}

// In the child: a private network with only `lo`, up, multicast on, 224.0.0.0/4 routed to it.
// Returns "" or why it failed; sets `skip` when namespaces are unavailable.
std::string enter_private_network(bool& skip) {
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
    if (!write_file("/proc/self/setgroups", "deny") ||
        !write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
      return errno_text("writing the user namespace maps");
  } else if (unshare(CLONE_NEWNET) != 0) {  // root without user namespaces may still do this
    skip = true;
    return errno_text("unshare(CLONE_NEWUSER | CLONE_NEWNET)");
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) return errno_text("socket");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return errno_text("SIOCGIFFLAGS lo");
  ifr.ifr_flags |= IFF_UP | IFF_MULTICAST;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return errno_text("SIOCSIFFLAGS lo up multicast");
  rtentry route{};
  auto* dst = reinterpret_cast<sockaddr_in*>(&route.rt_dst);
  auto* mask = reinterpret_cast<sockaddr_in*>(&route.rt_genmask);
  dst->sin_family = mask->sin_family = AF_INET;
  dst->sin_addr.s_addr = htonl(0xE0000000);   // 224.0.0.0
  mask->sin_addr.s_addr = htonl(0xF0000000);  // /4
  route.rt_flags = RTF_UP;
  char lo[] = "lo";
  route.rt_dev = lo;
  if (ioctl(s, SIOCADDRT, &route) != 0) return errno_text("route 224.0.0.0/4 dev lo");
  ::close(s);
  return "";
}

// Runs `scenario` (returns "" or a failure) in a forked child inside a private network.
void run_in_private_network(const std::function<std::string()>& scenario) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    bool skip = false;
    std::string text = enter_private_network(skip);
    int status = skip ? kSkipStatus : 1;
    if (text.empty()) {
      text = scenario();
      status = text.empty() ? 0 : 1;
    }
    (void)!::write(fds[1], text.data(), text.size());
    _exit(status);  // no gtest teardown in the child
  }
  ::close(fds[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died: " << text;
  if (WEXITSTATUS(status) == kSkipStatus)
    GTEST_SKIP() << "cannot create a private network namespace for multicast (" << text << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0) << text;
}

// Runs the loop until `done` or `timeout`; true when done.
bool run_until(asio::io_context& io, Duration timeout, const std::function<bool()>& done) {
  Instant deadline = now() + timeout;
  while (!done()) {
    if (now() >= deadline) return false;
    io.run_for(milliseconds(20));
  }
  return true;
}

const PeerDiscovered* discovered(const std::vector<MdnsEvent>& events, const PeerId& who) {
  for (const MdnsEvent& e : events)
    if (auto* d = std::get_if<PeerDiscovered>(&e); d && d->peer == who) return d;
  return nullptr;
}

// One node's mDNS: a swarm (which the host needs, though mDNS opens no stream), a host and the
// behaviour, on the loopback interface with a fast query interval.
struct MdnsNode {
  MdnsNode(asio::io_context& io, PeerId local)
      : swarm(io.get_executor(), crypto::Ed25519PrivateKey::generate(), {}, metrics, events),
        host(swarm, {}) {
    behaviour::MdnsBehaviourConfig config{.interface_address = "127.0.0.1"};
    config.core.query_interval = milliseconds(500);
    auto entropy = [](std::span<uint8_t> out) { crypto::random_bytes(out.data(), out.size()); };
    mdns = behaviour::MdnsBehaviour::create(std::move(local), config, entropy).value();
  }
  ~MdnsNode() { host.remove(*mdns); }
  // Joins the group; "" or why not.
  std::string join(const std::vector<Multiaddr>& addrs) {
    mdns->set_addresses(addrs);
    host.add(*mdns, [this] {
      while (auto e = mdns->poll_event()) seen.push_back(*e);
    });
    return mdns->running() ? "" : mdns->error();
  }
  void leave() {
    mdns->stop(now());
    host.wake(*mdns);  // sends the goodbye
  }
  std::string stats_text() const {
    const auto& c = mdns->core().stats();
    return " (queries sent " + std::to_string(c.queries_sent) + ", received " +
           std::to_string(c.datagrams_received) + ", invalid " +
           std::to_string(c.datagrams_invalid) + ")";
  }

  observe::Registry metrics;
  observe::EventRecorder events;
  Swarm swarm;
  BehaviourHost host;
  std::unique_ptr<behaviour::MdnsBehaviour> mdns;
  std::vector<MdnsEvent> seen;
};

std::string two_instances_discover_each_other() {
  asio::io_context io;
  auto a = std::make_unique<MdnsNode>(io, peer(1));
  auto b = std::make_unique<MdnsNode>(io, peer(2));
  if (auto e = a->join({addr("/ip4/127.0.0.1/tcp/4001")}); !e.empty()) return "join a: " + e;
  if (auto e = b->join({addr("/ip4/127.0.0.1/tcp/4002"), addr("/ip4/127.0.0.1/tcp/4003")});
      !e.empty())
    return "join b (sharing port 5353): " + e;
  std::vector<MdnsEvent>& seen_by_a = a->seen;
  std::vector<MdnsEvent>& seen_by_b = b->seen;

  bool found = run_until(io, seconds(10), [&] {
    return discovered(seen_by_a, peer(2)) && discovered(seen_by_b, peer(1));
  });
  if (!found) return "no discovery within 10 s: a" + a->stats_text() + ", b" + b->stats_text();
  if (discovered(seen_by_a, peer(2))->addrs !=
      std::vector<Multiaddr>{addr("/ip4/127.0.0.1/tcp/4002"), addr("/ip4/127.0.0.1/tcp/4003")})
    return "a saw wrong addresses for b";
  if (discovered(seen_by_b, peer(1))->addrs !=
      std::vector<Multiaddr>{addr("/ip4/127.0.0.1/tcp/4001")})
    return "b saw wrong addresses for a";
  if (a->mdns->core().stats().own_responses_ignored == 0)
    return "a never saw its own answer looped back";

  // b leaves: its goodbye reaches a at once.
  b->leave();
  bool gone = run_until(io, seconds(5), [&] {
    for (const MdnsEvent& e : seen_by_a)
      if (auto* x = std::get_if<PeerExpired>(&e); x && x->peer == peer(2))
        return x->reason == mdns::ExpiryReason::goodbye;
    return false;
  });
  if (!gone) return "a never saw b's goodbye";
  size_t b_events = seen_by_b.size();
  io.run_for(seconds(2));
  if (seen_by_b.size() != b_events) return "b reported events after it left";
  a.reset();  // removing the behaviour closes its socket
  b.reset();
  io.run_for(seconds(2));
  if (!io.stopped()) return "loops still running after both nodes went";
  return "";
}

TEST(MdnsMulticast, TwoNodesDiscoverEachOtherAndHearTheGoodbye) {
  run_in_private_network(two_instances_discover_each_other);
}

// A plain socket set up as js-libp2p's multicast-dns sets up its own (SO_REUSEADDR only).
Result<asio::ip::udp::socket> js_like_socket(asio::io_context& io) {
  using asio::ip::udp;
  udp::socket s(io);
  asio::error_code ec;
  auto group = asio::ip::make_address_v4("224.0.0.251");
  auto lo = asio::ip::make_address_v4("127.0.0.1");
  s.open(udp::v4(), ec);
  if (!ec) s.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.bind(udp::endpoint(asio::ip::address_v4::any(), 5353), ec);
  if (!ec) s.set_option(asio::ip::multicast::join_group(group, lo), ec);
  if (!ec) s.set_option(asio::ip::multicast::outbound_interface(lo), ec);
  if (!ec) s.non_blocking(true, ec);
  if (ec) return make_error(Errc::io, "js-like socket: " + ec.message());
  return s;
}

std::string talks_with_a_js_libp2p_peer() {
  asio::io_context io;
  auto js = js_like_socket(io);
  if (!js.ok()) return js.error().to_string();
  MdnsNode ours(io, peer(1));
  if (auto e = ours.join({addr("/ip4/127.0.0.1/tcp/4001")}); !e.empty())
    return "join beside a SO_REUSEADDR socket: " + e;
  std::vector<MdnsEvent>& seen = ours.seen;
  asio::ip::udp::endpoint group(asio::ip::make_address_v4("224.0.0.251"), 5353);

  // Our first query is what js sends; js answers it with its captured response.
  std::vector<Bytes> heard;
  auto listen = [&] {
    Bytes buf(9001);
    asio::error_code ec;
    asio::ip::udp::endpoint from;
    for (size_t n; (n = js->receive_from(asio::buffer(buf), from, 0, ec)), !ec;)
      heard.emplace_back(buf.begin(), buf.begin() + n);
  };
  Bytes js_query = *from_hex(mdns::testdata::kJsQuery);
  bool queried = run_until(io, seconds(5), [&] {
    listen();
    return std::find(heard.begin(), heard.end(), js_query) != heard.end();
  });
  if (!queried) return "js never heard our query";
  Bytes js_response = *from_hex(mdns::testdata::kJsResponse);
  js->send_to(asio::buffer(js_response), group);
  auto js_peer = *PeerId::parse(mdns::testdata::kJsPeer);
  if (!run_until(io, seconds(5), [&] { return discovered(seen, js_peer) != nullptr; }))
    return "the js response was not reported" + ours.stats_text();
  if (discovered(seen, js_peer)->addrs !=
      std::vector<Multiaddr>{addr("/ip4/127.0.0.1/tcp/4001"), addr("/ip4/127.0.0.1/tcp/4002")})
    return "wrong addresses for the js peer";

  // js queries; our answer carries our peer id and address.
  heard.clear();
  js->send_to(asio::buffer(js_query), group);
  auto service = *mdns::Name::parse(mdns::kServiceName);
  bool answered = run_until(io, seconds(5), [&] {
    listen();
    for (const Bytes& d : heard) {
      auto m = mdns::decode_message(d);
      if (!m.ok() || !m->is_response()) continue;
      mdns::AnnouncementSkips skips;
      auto found = mdns::read_announcements(*m, service, {}, skips);
      if (found.size() == 1 && found[0].peer == peer(1) &&
          found[0].addrs == std::vector<Multiaddr>{addr("/ip4/127.0.0.1/tcp/4001")})
        return true;
    }
    return false;
  });
  if (!answered) return "no answer to a js query" + ours.stats_text();
  return "";
}

TEST(MdnsMulticast, TalksWithAJsLibp2pPeer) { run_in_private_network(talks_with_a_js_libp2p_peer); }

TEST(MulticastSocket, OpenRefusesBadAddresses) {
  asio::io_context io;
  MulticastSocketConfig config;
  config.interface_address = "not-an-address";
  auto r = MulticastSocket::open(io.get_executor(), config, [](BytesView) {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_input);
  config.interface_address = "127.0.0.1";
  config.group = "10.0.0.1";  // not multicast
  r = MulticastSocket::open(io.get_executor(), config, [](BytesView) {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_input);
}

// A group that cannot be joined is reported to the behaviour, which stays quiet.
TEST(MdnsMulticast, ABadInterfaceIsReportedNotFatal) {
  asio::io_context io;
  observe::Registry metrics;
  observe::EventRecorder events;
  Swarm swarm(io.get_executor(), crypto::Ed25519PrivateKey::generate(), {}, metrics, events);
  BehaviourHost host(swarm, {});
  auto entropy = [](std::span<uint8_t> out) { crypto::random_bytes(out.data(), out.size()); };
  auto mdns =
      behaviour::MdnsBehaviour::create(peer(1), {.interface_address = "not-an-address"}, entropy)
          .value();
  host.add(*mdns);
  EXPECT_FALSE(mdns->running());
  EXPECT_NE(mdns->error().find("not-an-address"), std::string::npos) << mdns->error();
  EXPECT_EQ(mdns->core().stats().queries_sent, 0u);
  host.remove(*mdns);
}

}  // namespace
}  // namespace agora::rt
