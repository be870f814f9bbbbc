#include "app/cli/testnet.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <thread>

#include "agora/repo.h"

namespace agora::testnet {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr size_t kStateFileBytesMax = 1 << 20;
constexpr size_t kLogBytesMax = 1 << 20;
constexpr const char* kLogFile = "daemon.log";

Error io_error(const std::string& what) { return make_error(Errc::io, what); }

// A new repo listens on loopback only, on ports the kernel picks, with mDNS off: the testnet is
// closed, it neither finds nor is found by other agora nodes on the LAN. Its peers serve
// /agora/diag/1.0.0 to each other (tracing). `swarm_key` (text; empty
// for a public testnet) makes it a member of the testnet's private network.
Status init_peer_repo(const fs::path& repo, std::optional<size_t> low_water,
                      const std::string& swarm_key) {
  AGORA_TRY(init_repo(repo, RepoInit{{"/ip4/127.0.0.1/tcp/0"}, "127.0.0.1:0", swarm_key}));
  ConfigOverrides overrides;
  overrides.mdns = false;
  overrides.dht_mode = "server";  // loopback is reachable by every peer of the testnet
  // Every daemon of the testnet connects from 127.0.0.1: one IP, one network, many honest peers.
  overrides.many_peers_per_ip = true;
  overrides.connections_low_water = low_water;
  // The testnet's peers answer each other's trace questions: `trace show` sees across them.
  overrides.serve_diag = true;
  return override_config(repo, overrides);
}

// Starts `agora --repo R --json daemon` in its own session (Ctrl-C in the shell that ran `up`
// does not reach it), its output in R/daemon.log.
Result<pid_t> spawn_daemon(const fs::path& binary, const fs::path& repo) {
  fs::path log = repo / kLogFile;
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return io_error("cannot create " + log.string());
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return io_error("fork failed");
  }
  if (pid == 0) {
    ::setsid();
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    std::string bin = binary.string(), repo_arg = repo.string();
    const char* argv[] = {bin.c_str(), "--repo", repo_arg.c_str(), "--json", "daemon", nullptr};
    ::execv(bin.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(log_fd);
  return pid;
}

std::string log_tail(const fs::path& repo) {
  auto text = read_file(repo / kLogFile, kLogBytesMax);
  if (!text) return "(no log)";
  return text->substr(text->size() > 2000 ? text->size() - 2000 : 0);
}

// Reads the daemon's JSON lines until it says "ready": its first listen address and peer id.
Status wait_ready(PeerState& p, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(p.pid, &status, WNOHANG) == p.pid) {
      p.pid = 0;
      return make_error(Errc::io, p.name + " exited before it was ready:\n" + log_tail(p.repo));
    }
    auto text = read_file(p.repo / kLogFile, kLogBytesMax);
    if (text) {
      size_t pos = 0;
      std::string addr;
      while (pos < text->size()) {
        size_t nl = text->find('\n', pos);
        if (nl == std::string::npos) break;  // a line still being written
        auto line = json::parse(text->substr(pos, nl - pos), nullptr, false);
        pos = nl + 1;
        if (!line.is_object()) continue;
        std::string event = line.value("event", "");
        if (event == "listening" && addr.empty()) addr = line.value("addr", "");
        if (event == "ready") {
          p.addr = addr;
          p.peer = line.value("peer", "");
          if (p.addr.empty() || p.peer.empty())
            return make_error(Errc::io, p.name + " is ready but printed no address or peer id");
          return {};
        }
      }
    }
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(Errc::timeout, p.name + " was not ready within " +
                                           std::to_string(timeout.count()) + " s:\n" +
                                           log_tail(p.repo));
    std::this_thread::sleep_for(20ms);
  }
}

bool is_zombie(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!stat) return false;
  size_t paren = stat->rfind(')');
  return paren != std::string::npos && paren + 2 < stat->size() && (*stat)[paren + 2] == 'Z';
}

// Signals every running daemon of `state` and waits until they are gone or `deadline`.
void signal_and_wait(State& state, int sig, std::chrono::steady_clock::time_point deadline) {
  for (PeerState& p : state.peers)
    if (p.pid > 0 && daemon_alive(p.pid, p.repo)) ::kill(p.pid, sig);
  for (;;) {
    bool any = false;
    for (PeerState& p : state.peers) {
      if (p.pid > 0) ::waitpid(p.pid, nullptr, WNOHANG);  // reaps those we started ourselves
      if (p.pid > 0 && daemon_alive(p.pid, p.repo)) {
        any = true;
      } else {
        p.pid = 0;
      }
    }
    if (!any || std::chrono::steady_clock::now() > deadline) return;
    std::this_thread::sleep_for(50ms);
  }
}

// The testnet's swarm key (text): read from <dir>/swarm.key, created there on first use; empty
// for a public testnet. A directory holding a key cannot host a public testnet.
Result<std::string> testnet_swarm_key(const fs::path& dir, bool public_network) {
  fs::path path = dir / kSwarmKeyFileName;
  auto text = read_file(path, 4096);
  if (!text && text.error().code != Errc::not_found) return text.error();
  if (public_network) {
    if (text)
      return make_error(Errc::exists, "the testnet in " + dir.string() + " is private (" +
                                          path.string() + "); drop --public, or use another --dir");
    return std::string();
  }
  if (text) {
    AGORA_TRY(swarm_key_fingerprint(*text, path.string()));
    return *text;
  }
  if (fs::exists(dir / "peer-1" / kConfigFileName))
    return make_error(Errc::invalid_input,
                      "the testnet in " + dir.string() +
                          " is public (no swarm.key); use --public, or `agora testnet down --rm` "
                          "and start a private one");
  std::string key = new_swarm_key();
  AGORA_TRY(write_file_atomic(path, key, 0600));
  return key;
}

// A reused repo must be in the testnet's network, or its daemon would be refused by the others.
Status check_repo_network(const PeerState& p, const std::string& network) {
  AGORA_ASSIGN(std::string has, repo_private_network(p.repo));
  if (has == network) return {};
  auto name = [](const std::string& n) {
    return n.empty() ? std::string("public") : "private " + n;
  };
  return make_error(Errc::invalid_input,
                    p.name + "'s repo " + p.repo.string() + " is in the " + name(has) +
                        " network, the testnet in the " + name(network) +
                        " one; `agora testnet down --rm` removes the old repos");
}

}  // namespace

Result<fs::path> default_dir() {
  if (const char* env = std::getenv("AGORA_TESTNET"); env && *env) return fs::path(env);
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    return make_error(Errc::not_found, "neither $AGORA_TESTNET nor $HOME is set (use --dir)");
  return fs::path(home) / ".agora-testnet";
}

Result<State> load_state(const fs::path& dir) {
  fs::path path = dir / kStateFile;
  auto text = read_file(path, kStateFileBytesMax);
  if (!text)
    return make_error(Errc::not_found, "no testnet in " + dir.string() + " (start one with " +
                                           "`agora testnet up`)");
  auto j = json::parse(*text, nullptr, false);
  auto bad = [&] {
    return make_error(Errc::invalid_input, path.string() + " is not a testnet state file");
  };
  if (!j.is_object() || !j.contains("peers") || !j["peers"].is_array()) return bad();
  State state;
  for (const json& p : j["peers"]) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || !p.contains("repo") ||
        !p["repo"].is_string() || !p.contains("pid") || !p["pid"].is_number_integer())
      return bad();
    state.peers.push_back({p["name"].get<std::string>(), p["repo"].get<std::string>(),
                           p["pid"].get<pid_t>(), p.value("addr", ""), p.value("peer", "")});
  }
  if (j.contains("network") && j["network"].is_string()) state.network = j["network"];
  return state;
}

json peer_json(const PeerState& p) {
  return {{"name", p.name},
          {"repo", p.repo.string()},
          {"pid", p.pid},
          {"addr", p.addr},
          {"peer", p.peer}};
}

Status save_state(const fs::path& dir, const State& state) {
  json peers = json::array();
  for (const PeerState& p : state.peers) peers.push_back(peer_json(p));
  return write_file_atomic(dir / kStateFile,
                           json{{"peers", peers}, {"network", state.network}}.dump(2) + "\n", 0644);
}

bool daemon_alive(pid_t pid, const fs::path& repo) {
  if (pid <= 0 || ::kill(pid, 0) != 0 || is_zombie(pid)) return false;
  // The pid may have been reused since the state was written: it must still be this repo's daemon.
  auto cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline", 1 << 16);
  if (!cmdline) return false;
  std::string args = *cmdline;
  std::replace(args.begin(), args.end(), '\0', ' ');
  return args.find(" " + repo.string() + " ") != std::string::npos &&
         args.find(" daemon") != std::string::npos;
}

bool runs_in(const fs::path& dir) {
  auto state = load_state(dir);
  if (!state) return false;
  for (const PeerState& p : state->peers)
    if (daemon_alive(p.pid, p.repo)) return true;
  return false;
}

Result<State> up(const UpOptions& o, const StartedFn& on_started) {
  if (o.peers < 1 || o.peers > kPeersMax)
    return make_error(Errc::invalid_input,
                      "--peers must be between 1 and " + std::to_string(kPeersMax));
  std::error_code ec;
  fs::create_directories(o.dir, ec);
  if (ec) return io_error("cannot create " + o.dir.string() + ": " + ec.message());
  if (runs_in(o.dir))
    return make_error(Errc::exists, "a testnet already runs in " + o.dir.string() +
                                        " (`agora testnet down --dir " + o.dir.string() +
                                        "` stops it)");
  fs::path dir = fs::absolute(o.dir, ec);
  if (ec) return io_error("cannot resolve " + o.dir.string() + ": " + ec.message());
  AGORA_ASSIGN(std::string swarm_key, testnet_swarm_key(dir, o.public_network));
  State state;
  if (!swarm_key.empty()) {
    AGORA_ASSIGN(state.network, swarm_key_fingerprint(swarm_key, "swarm.key"));
  }
  std::vector<std::string> bootstrap;
  auto stop_all = [&](Error e) -> Error {
    signal_and_wait(state, SIGTERM, std::chrono::steady_clock::now() + 10s);
    signal_and_wait(state, SIGKILL, std::chrono::steady_clock::now() + 5s);
    (void)save_state(dir, state);
    return e;
  };
  for (size_t i = 0; i < o.peers; ++i) {
    PeerState p;
    p.name = "peer-" + std::to_string(i + 1);
    p.repo = dir / p.name;
    if (!fs::exists(p.repo / kConfigFileName)) {
      if (Status st = init_peer_repo(p.repo, o.low_water, swarm_key); !st)
        return stop_all(st.error());
    } else if (Status st = check_repo_network(p, state.network); !st) {
      return stop_all(st.error());
    }
    if (Status st = set_bootstrap_peers(p.repo, bootstrap); !st) return stop_all(st.error());
    auto pid = spawn_daemon(o.agora_binary, p.repo);
    if (!pid) return stop_all(pid.error());
    p.pid = *pid;
    state.peers.push_back(p);
    if (Status st = wait_ready(state.peers.back(), o.ready_timeout); !st)
      return stop_all(st.error());
    if (bootstrap.size() < o.bootstrap_peers) bootstrap.push_back(state.peers.back().addr);
    if (Status st = save_state(dir, state); !st) return stop_all(st.error());
    if (on_started) on_started(state.peers.back(), i);
  }
  return state;
}

Result<Stopped> down(const fs::path& dir, std::chrono::seconds timeout) {
  AGORA_ASSIGN(State state, load_state(dir));
  signal_and_wait(state, SIGTERM, std::chrono::steady_clock::now() + timeout);
  Stopped out{state.peers.size(), 0};
  for (const PeerState& p : state.peers) out.killed += p.pid > 0 ? 1 : 0;
  signal_and_wait(state, SIGKILL, std::chrono::steady_clock::now() + 5s);
  AGORA_TRY(save_state(dir, state));
  return out;
}

}  // namespace agora::testnet
