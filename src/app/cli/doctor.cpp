#include "app/cli/doctor.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>
#include <vector>

#include "agora/names.h"
#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"

namespace agora {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr uint64_t kFreeBytesMin = uint64_t(256) << 20;
constexpr uint64_t kFreeBytesWarn = uint64_t(1) << 30;
constexpr size_t kProvidersTried = 3;
constexpr int kTcpConnectTimeoutMs = 2000;
constexpr int kPings = 3;
constexpr double kSluggishRttMs = 300;  // a warning: slower than most links
constexpr double kSlowRttMs = 1000;     // a failure of the connection: a slow link
// The loss check: a perf upload to the peer, and the share of its segments sent again.
constexpr uint64_t kLinkProbeBytes = 512 * 1024;
constexpr uint64_t kLinkSegmentsMin = 100;  // fewer counted: no verdict on loss
constexpr double kLossyPercent = 3;         // a failure of the connection; a third of it: a warning

struct Check {
  std::string name;
  std::string status;   // ok, warn, fail, skip
  std::string verdict;  // for a fail: local, connection or network
  std::string evidence;
  std::string fix;
};

class Doctor {
 public:
  explicit Doctor(const CommonOptions& o) : o_(o) {}
  int run(const std::string& target);  // prints the report; the exit code
  void run_checks(const std::string& target);
  json to_json(const std::string& target) const;

 private:
  void add(Check c) { checks_.push_back(std::move(c)); }
  void check_repo();
  bool check_daemon();
  void check_listening();
  void check_reachability();
  void reachability_from_connections(const std::string& dial_back);
  void check_bootstrap();
  void check_peers();
  void check_failures();
  void check_transfers(const std::string& target);
  void check_content(const std::string& cid);
  void check_peer(const std::string& target);
  void check_link(const std::string& peer);
  std::optional<std::pair<uint64_t, uint64_t>> tcp_counters(const std::string& peer);
  int report(const std::string& target) const;
  const Check* first_fail() const;

  const CommonOptions& o_;
  std::optional<ApiClient> client_;
  json id_ = json::object();    // the daemon's /api/v0/id, read once by check_daemon
  json peers_ = json::array();  // its connections (/api/v0/swarm/peers), read then too
  std::vector<Check> checks_;
};

std::string bytes_text(uint64_t n) {
  std::ostringstream s;
  s.precision(3);
  if (n >= (uint64_t(1) << 30)) {
    s << double(n) / double(uint64_t(1) << 30) << " GiB";
  } else {
    s << double(n) / double(1 << 20) << " MiB";
  }
  return s.str();
}

void Doctor::check_repo() {
  fs::path config = o_.repo / "config.toml";
  if (!fs::exists(config)) {
    add({"repo", "fail", "local", "no repo at " + o_.repo.string() + " (no config.toml)",
         "agora init, or --repo PATH for the repo the daemon uses"});
    return;
  }
  struct statvfs vfs {};
  if (::statvfs(o_.repo.c_str(), &vfs) != 0) {
    add({"repo", "fail", "local", o_.repo.string() + ": statvfs: " + std::strerror(errno),
         "check the repo's file system"});
    return;
  }
  uint64_t free_bytes = uint64_t(vfs.f_bavail) * uint64_t(vfs.f_frsize);
  std::string evidence = o_.repo.string() + ": " + bytes_text(free_bytes) + " free";
  if (::access(o_.repo.c_str(), W_OK) != 0)
    add({"repo", "fail", "local", o_.repo.string() + " is not writable: " + std::strerror(errno),
         "run as the repo's owner, or fix its permissions"});
  else if (free_bytes < kFreeBytesMin)
    add({"repo", "fail", "local", evidence + ", under 256 MiB: downloads and adds will fail",
         "free space on that file system (agora repo gc removes unpinned blocks)"});
  else if (free_bytes < kFreeBytesWarn)
    add({"repo", "warn", "", evidence + ", under 1 GiB", "free space soon"});
  else
    add({"repo", "ok", "", evidence, ""});
}

bool Doctor::check_daemon() {
  auto client = ApiClient::connect(o_.repo);
  if (!client) {
    add({"daemon", "fail", "local", client.error().message, "start it: agora daemon"});
    return false;
  }
  client_.emplace(std::move(*client));
  auto id = client_->get("/api/v0/id");
  if (!id) {
    add({"daemon", "fail", "local", "the daemon does not answer: " + id.error().message,
         "look at its log; restart it"});
    return false;
  }
  id_ = std::move(*id);
  if (auto peers = client_->get("/api/v0/swarm/peers"); peers && peers->is_array())
    peers_ = std::move(*peers);
  add({"daemon", "ok", "", "peer " + id_.value("peer", std::string()), ""});
  return true;
}

// "/ip4/1.2.3.4/tcp/4001/p2p/..." -> {"", "ip4", "1.2.3.4", "tcp", "4001", "p2p", ...}
std::vector<std::string> multiaddr_parts(const std::string& text) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, '/');) parts.push_back(part);
  return parts;
}

// The host of an /ip4 or /ip6 multiaddr; "" for any other.
std::string host_of(const std::string& multiaddr) {
  std::vector<std::string> parts = multiaddr_parts(multiaddr);
  return parts.size() > 2 && (parts[1] == "ip4" || parts[1] == "ip6") ? parts[2] : "";
}

// A TCP connect to host:port within the timeout; "" when it was accepted, else why not.
std::string tcp_connect(const std::string& family, std::string host, uint16_t port) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (family == "ip4") {
    if (host == "0.0.0.0") host = "127.0.0.1";
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) return "bad address " + host;
    len = sizeof(sockaddr_in);
  } else {
    if (host == "::") host = "::1";
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return "bad address " + host;
    len = sizeof(sockaddr_in6);
  }
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  std::string why;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 && errno != EINPROGRESS) {
    why = std::strerror(errno);
  } else {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t err_len = sizeof err;
    if (::poll(&p, 1, kTcpConnectTimeoutMs) != 1)
      why = "no answer within 2 s";
    else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0)
      why = std::strerror(err != 0 ? err : errno);
  }
  ::close(fd);
  return why;
}

void Doctor::check_listening() {
  std::vector<std::string> refused, accepted;
  for (const json& a : id_.value("addrs", json::array())) {
    std::string text = a.get<std::string>();
    std::vector<std::string> parts = multiaddr_parts(text);
    // "", ip4|ip6, host, tcp, port, ...
    if (host_of(text).empty() || parts.size() < 5 || parts[3] != "tcp") continue;
    unsigned long port = std::strtoul(parts[4].c_str(), nullptr, 10);
    if (port == 0 || port > 65535) continue;
    std::string why = tcp_connect(parts[1], parts[2], uint16_t(port));
    (why.empty() ? accepted : refused).push_back(why.empty() ? text : text + ": " + why);
  }
  if (!refused.empty()) {
    std::string list;
    for (const std::string& r : refused) list += (list.empty() ? "" : "; ") + r;
    add({"listening", "fail", "local", "refused from this machine: " + list,
         "check the firewall and [network] listen in config.toml"});
  } else if (accepted.empty()) {
    add({"listening", "warn", "", "no TCP address to try", "add one to [network] listen"});
  } else {
    add({"listening", "ok", "", std::to_string(accepted.size()) + " TCP address(es) accept", ""});
  }
}

// Peers asked to dial this node back (AutoNAT) decide it; without an answer, the evidence at
// hand: inbound connections, and the addresses peers see this node at.
void Doctor::check_reachability() {
  if (peers_.empty()) {
    add({"reachability", "skip", "", "no connections: no peer to ask for a dial-back", ""});
    return;
  }
  auto probe = client_->post("/api/v0/swarm/reachability", {{"peers", "3"}});
  std::string asked;  // what the peers answered, for the evidence
  if (probe && probe->is_object()) {
    for (const json& p : probe->value("probes", json::array())) {
      std::string peer = p.value("peer", std::string()).substr(0, 16) + "...";
      std::string said = p.contains("status")
                             ? p.value("status", std::string())
                             : "no answer (" + p.value("error", std::string()) + ")";
      if (p.contains("addr")) said += " at " + p.value("addr", std::string());
      if (!p.value("text", std::string()).empty()) said += ": " + p.value("text", std::string());
      asked += (asked.empty() ? "" : "; ") + peer + " " + said;
    }
    const json reachable = probe->value("reachable", json());
    if (reachable.is_boolean() && reachable.get<bool>()) {
      add({"reachability", "ok", "", "dialled back by peers: " + asked, ""});
      return;
    }
    if (reachable.is_boolean()) {
      add({"reachability", "fail", "local",
           "peers could not dial this node back at its listen addresses: " + asked,
           "open the listening port in the firewall, or forward it to this machine if it is "
           "behind NAT"});
      return;
    }
  } else if (!probe) {
    asked = "the dial-back request failed: " + probe.error().message;
  }
  reachability_from_connections(asked.empty() ? "no peer to ask for a dial-back" : asked);
}

void Doctor::reachability_from_connections(const std::string& dial_back) {
  std::set<std::string> listen_hosts;
  for (const json& a : id_.value("addrs", json::array()))
    listen_hosts.insert(host_of(a.get<std::string>()));
  size_t inbound = 0;
  std::set<std::string> elsewhere;  // hosts peers see us at that we do not listen on
  for (const json& c : peers_) {
    if (c.value("direction", std::string()) == "inbound") ++inbound;
    std::string host = host_of(c.value("observed_addr", std::string()));
    if (host.empty()) continue;
    if (!listen_hosts.count(host) && !listen_hosts.count("0.0.0.0") && !listen_hosts.count("::"))
      elsewhere.insert(host);
  }
  std::string seen;
  for (const std::string& h : elsewhere) seen += (seen.empty() ? "" : ", ") + h;
  const std::string no_dial_back = " (no dial-back: " + dial_back + ")";
  if (inbound > 0)
    add({"reachability", "ok", "",
         std::to_string(inbound) + " inbound connection(s): peers can dial this node" +
             no_dial_back,
         ""});
  else if (!elsewhere.empty())
    add({"reachability", "warn", "",
         "no inbound connection, and peers see this node at " + seen +
             ", which it does not listen on: probably behind NAT" + no_dial_back,
         "forward a port to a listen address, or announce the public one"});
  else
    add({"reachability", "ok", "",
         "no inbound connection yet; peers see this node at its listen addresses" + no_dial_back,
         ""});
}

void Doctor::check_bootstrap() {
  auto list = client_->get("/api/v0/bootstrap/list");
  if (!list) {
    add({"bootstrap", "fail", "local", "the API did not answer", "look at the daemon's log"});
    return;
  }
  std::vector<std::string> addrs = list->value("bootstrap", std::vector<std::string>{});
  if (addrs.empty()) {
    add({"bootstrap", "ok", "", "none configured (peers come from mDNS or by hand)", ""});
    return;
  }
  std::set<std::string> connected;
  for (const json& c : peers_) connected.insert(c.value("peer", std::string()));
  for (const std::string& a : addrs) {
    std::string peer = a.substr(a.rfind('/') + 1);
    if (connected.count(peer)) {
      add({"bootstrap", "ok", "", "connected to " + peer, ""});
      return;
    }
  }
  std::string errors;
  for (const std::string& a : addrs) {
    auto r = client_->post("/api/v0/swarm/connect", {{"arg", a}});
    if (r) {
      add({"bootstrap", "ok", "", "dialled " + a + " now", ""});
      return;
    }
    errors += (errors.empty() ? "" : "; ") + a + ": " + r.error().message;
  }
  add({"bootstrap", "fail", "connection",
       "none of " + std::to_string(addrs.size()) + " bootstrap peer(s) could be reached: " + errors,
       "check the addresses (agora bootstrap list) and this machine's outbound connections"});
}

void Doctor::check_peers() {
  auto dht = client_->get("/api/v0/dht/status");
  size_t connections = peers_.size();  // one entry per connection
  uint64_t table = dht ? dht->value("routing_table", uint64_t(0)) : 0;
  std::string evidence = std::to_string(connections) + " connection(s), " + std::to_string(table) +
                         " peer(s) in the DHT routing table";
  if (connections == 0)
    add({"peers", "warn", "", evidence, "connect to a peer: agora swarm connect, or bootstrap"});
  else
    add({"peers", "ok", "", evidence, ""});
}

void Doctor::check_failures() {
  auto events = client_->get("/api/v0/events", {{"limit", "1000"}});
  if (!events) return;
  size_t failures = 0;
  std::string last;
  for (const json& e : events->value("events", json::array())) {
    // This node's own attempts: inbound handshakes that fail are others' (scanners, and the
    // listening check's own probes).
    std::string type = e.value("type", std::string());
    bool outbound = e.value("direction", std::string()) == "outbound";
    if (type != "dial_failed" && !(type == "handshake_failed" && outbound)) continue;
    failures += e.value("count", size_t(1));
    last = type + " " + e.value("peer", std::string()) + " " + e.value("reason", std::string()) +
           ": " + e.value("detail", std::string());
  }
  if (failures == 0)
    add({"failures", "ok", "", "no failed dial or handshake of this node's among recent events",
         ""});
  else
    add({"failures", "warn", "",
         std::to_string(failures) + " dial or handshake failure(s) recently; the last: " + last,
         "agora events shows them all"});
}

// Long operations running in the daemon (get, cat, ls, pin add, fetch): for a target, those on
// it; one that has run 10 s or more without a byte is stalled.
void Doctor::check_transfers(const std::string& target) {
  auto ops = client_->get("/api/v0/ops");
  if (!ops) return;
  size_t running = 0, stalled = 0;
  std::string evidence;
  for (const json& op : ops->value("operations", json::array())) {
    std::string on = op.value("target", std::string());
    if (!target.empty() && on.rfind(target, 0) != 0) continue;
    ++running;
    double seconds = op.value("seconds", 0.0);
    uint64_t bytes = op.value("bytes", uint64_t(0));
    if (bytes == 0 && seconds >= 10) ++stalled;
    if (!evidence.empty()) evidence += "; ";
    evidence += op.value("kind", std::string("?")) + " " + on + ": " + bytes_text(bytes) + " in " +
                std::to_string(int(seconds)) + " s";
  }
  if (running == 0)
    add({"transfers", "ok", "", target.empty() ? "none running" : "none running for it", ""});
  else if (stalled > 0)
    add({"transfers", "warn", "",
         std::to_string(stalled) + " stalled (no byte in 10 s): " + evidence,
         "see the content check below, or agora ops cancel <id>"});
  else
    add({"transfers", "ok", "", evidence, ""});
}

void Doctor::check_content(const std::string& cid) {
  if (client_->get("/api/v0/block/stat", {{"arg", cid}})) {
    add({"content", "ok", "", cid + " is stored here", ""});
    return;
  }
  auto found = client_->post("/api/v0/dht/findprovs", {{"arg", cid}});
  json providers = found ? found->value("providers", json::array()) : json::array();
  if (providers.empty()) {
    add({"content", "fail", "network",
         found ? "no provider of " + cid + " in the DHT" : found.error().message,
         "the content must be added and provided by a peer that is online"});
    return;
  }
  std::vector<std::string> reachable;
  std::string errors;
  for (size_t i = 0; i < providers.size() && i < kProvidersTried; ++i) {
    std::string peer = providers[i].value("peer", std::string());
    auto pinged = client_->post("/api/v0/ping", {{"arg", peer}});
    if (pinged)
      reachable.push_back(peer);
    else
      errors += (errors.empty() ? "" : "; ") + peer + ": " + pinged.error().message;
  }
  if (reachable.empty()) {
    add({"content", "fail", "connection",
         std::to_string(providers.size()) + " provider record(s) for " + cid +
             ", but no provider could be reached: " + errors,
         "the providers are offline or unreachable from here (NAT, firewall)"});
    return;
  }
  auto listed = client_->get("/api/v0/ls", {{"arg", cid}});
  if (!listed) {
    add({"content", "fail", "connection",
         "provider(s) " + reachable.front() + " answer pings, but " + cid +
             " did not come: " + listed.error().message,
         "the provider refuses or no longer holds it; try another provider"});
    return;
  }
  add({"content", "ok", "", cid + ": provider " + reachable.front() + " answers and sends it", ""});
}

void Doctor::check_peer(const std::string& target) {
  auto pinged = client_->post("/api/v0/ping", {{"arg", target}, {"count", std::to_string(kPings)}});
  if (pinged) {
    std::vector<double> rtts;
    for (const json& r : pinged->value("rtt_ms", json::array()))
      if (r.is_number()) rtts.push_back(r.get<double>());
    std::sort(rtts.begin(), rtts.end());
    double median = rtts.empty() ? 0 : rtts[rtts.size() / 2];
    std::string evidence = pinged->value("peer", target) + " answers, round trip " +
                           fmt::format("{:.1f}", median) + " ms (median of " +
                           std::to_string(rtts.size()) + ")";
    if (median >= kSlowRttMs)
      add({"peer", "fail", "connection", evidence + ": a slow link",
           "the path to this peer is slow (congested or far); try another peer or route"});
    else if (median >= kSluggishRttMs)
      add({"peer", "warn", "", evidence + ": slower than most links", ""});
    else
      add({"peer", "ok", "", evidence, ""});
    check_link(pinged->value("peer", target));
    return;
  }
  if (target.front() != '/') {
    auto found = client_->post("/api/v0/dht/findpeer", {{"arg", target}});
    if (!found) {
      add({"peer", "fail", "network",
           "the DHT knows no address of " + target + ": " + found.error().message,
           "the peer is offline, or not in this network"});
      return;
    }
  }
  add({"peer", "fail", "connection", target + " cannot be reached: " + pinged.error().message,
       "the peer is offline or unreachable from here (NAT, firewall, wrong address)"});
}

// The kernel's counters (TCP_INFO) of this node's connections to `peer`, summed: segments sent
// with data, and those sent again. Nothing when the daemon does not report them.
std::optional<std::pair<uint64_t, uint64_t>> Doctor::tcp_counters(const std::string& peer) {
  auto peers = client_->get("/api/v0/swarm/peers");
  if (!peers || !peers->is_array()) return std::nullopt;
  std::optional<std::pair<uint64_t, uint64_t>> sum;
  for (const json& c : *peers) {
    if (c.value("peer", std::string()) != peer || !c.contains("tcp")) continue;
    if (!sum) sum.emplace(0, 0);
    sum->first += c["tcp"].value("data_segments_out", uint64_t(0));
    sum->second += c["tcp"].value("retransmitted_segments", uint64_t(0));
  }
  return sum;
}

// Loss on the path to a peer that answers: a perf upload of kLinkProbeBytes, and how many of the
// segments it took the kernel had to send again.
void Doctor::check_link(const std::string& peer) {
  auto before = tcp_counters(peer);
  auto perf = client_->post(
      "/api/v0/perf",
      {{"arg", peer}, {"upload", std::to_string(kLinkProbeBytes)}, {"download", "0"}});
  auto after = tcp_counters(peer);
  if (!perf) {
    add({"link", "skip", "", "no loss measured: the perf upload failed: " + perf.error().message,
         ""});
    return;
  }
  double rate = perf->value("throughput_bytes_per_second", 0.0);
  std::string moved =
      bytes_text(kLinkProbeBytes) + " sent at " + fmt::format("{:.0f} KiB/s", rate / 1024);
  if (!before || !after || after->first < before->first + kLinkSegmentsMin) {
    add({"link", "ok", "", moved + " (too few segments counted to measure loss)", ""});
    return;
  }
  uint64_t segments = after->first - before->first;
  uint64_t again = after->second >= before->second ? after->second - before->second : 0;
  double lost = 100.0 * double(again) / double(segments);
  std::string evidence = moved + "; " + std::to_string(again) + " of " + std::to_string(segments) +
                         " data segments retransmitted (" + fmt::format("{:.1f}", lost) + "%)";
  if (lost >= kLossyPercent)
    add({"link", "fail", "connection", "a lossy link: " + evidence,
         "the path to this peer loses packets (a weak radio link, a congested or faulty route); "
         "try another network, route or peer"});
  else if (lost >= kLossyPercent / 3)
    add({"link", "warn", "", evidence + ": some loss", ""});
  else
    add({"link", "ok", "", evidence, ""});
}

void Doctor::run_checks(const std::string& target) {
  check_repo();
  if (check_daemon()) {
    check_listening();
    check_reachability();
    check_bootstrap();
    check_peers();
    check_failures();
    check_transfers(!target.empty() && target.front() != '/' ? target : std::string());
    if (!target.empty()) {
      // A CIDv0 (Qm...) and an RSA peer id look alike: a CID first, as kubo reads them.
      bool cid = target.front() != '/' && validate_cid(target).ok();
      cid ? check_content(target) : check_peer(target);
    }
  }
}

const Check* Doctor::first_fail() const {
  for (const Check& c : checks_)
    if (c.status == "fail") return &c;
  return nullptr;
}

json Doctor::to_json(const std::string& target) const {
  json checks = json::array();
  for (const Check& c : checks_) {
    json j = {{"name", c.name}, {"status", c.status}, {"evidence", c.evidence}};
    if (!c.verdict.empty()) j["verdict"] = c.verdict;
    if (!c.fix.empty()) j["fix"] = c.fix;
    checks.push_back(j);
  }
  const Check* failed = first_fail();
  json out = {{"verdict", failed ? failed->verdict : "ok"}, {"checks", checks}};
  if (!target.empty()) out["target"] = target;
  if (failed) out["fix"] = failed->fix;
  return out;
}

int Doctor::run(const std::string& target) {
  run_checks(target);
  return report(target);
}

int Doctor::report(const std::string& target) const {
  const Check* failed = first_fail();
  std::string verdict = failed ? failed->verdict : "ok";
  if (o_.json) {
    std::cout << to_json(target).dump() << "\n";
  } else {
    for (const Check& c : checks_) {
      std::cout << c.name << std::string(c.name.size() < 13 ? 13 - c.name.size() : 1, ' ')
                << c.status << std::string(c.status.size() < 6 ? 6 - c.status.size() : 1, ' ')
                << c.evidence << "\n";
    }
    std::cout << "verdict: " << verdict;
    if (failed) std::cout << " (" << failed->name << ": " << failed->evidence << ")";
    std::cout << "\n";
    if (failed && !failed->fix.empty()) std::cout << "fix: " << failed->fix << "\n";
  }
  return failed ? kExitProblemsFound : kExitOk;
}

}  // namespace

nlohmann::json doctor_report(const CommonOptions& o) {
  Doctor doctor(o);
  doctor.run_checks("");
  return doctor.to_json("");
}

int cmd_doctor(const CommonOptions& o, const std::string& target) {
  if (!target.empty() && !validate_cid(target).ok() && !validate_peer_target(target).ok())
    return fail(
        make_error(Errc::invalid_input, "'" + target + "' is not a CID, a peer id or a multiaddr"));
  return Doctor(o).run(target);
}

}  // namespace agora
