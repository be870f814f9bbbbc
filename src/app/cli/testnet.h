// A local testnet: N `agora daemon` processes on loopback, each with its own repo under one
// directory, bootstrapped to the first few. `testnet.json` in that directory records who runs
// where, so `agora testnet status|down` (another process) can find them again. A testnet is a
// private network unless made public: `swarm.key` in its directory (mode 0600, created with the
// testnet) is copied into every new repo, so its daemons connect only to each other.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agora/result.h"

namespace agora::testnet {

inline constexpr size_t kPeersMax = 200;  // each daemon is a process with its own threads
inline constexpr const char* kStateFile = "testnet.json";

struct PeerState {
  std::string name;  // "peer-1" ...
  std::filesystem::path repo;
  pid_t pid = 0;     // 0: not running
  std::string addr;  // first listen multiaddr, with /p2p/
  std::string peer;  // peer id
};

struct State {
  std::vector<PeerState> peers;
  std::string network;  // the swarm key's fingerprint; empty: a public testnet
};

// A peer as testnet.json and `agora testnet up --json` show it.
nlohmann::json peer_json(const PeerState& p);

struct UpOptions {
  std::filesystem::path dir;
  size_t peers = 10;
  size_t bootstrap_peers = 3;  // every later peer bootstraps to this many of the first
  // [connections] low_water of new repos; unset: the default. 0 keeps a daemon from dialling
  // the peers it knows of, so connections come only from bootstrap, the DHT and commands.
  std::optional<size_t> low_water;
  std::filesystem::path agora_binary;
  std::chrono::seconds ready_timeout{30};
  // A public testnet: no swarm.key, its daemons accept any libp2p peer (js-libp2p, kubo, ...).
  bool public_network = false;
};

// Called as each daemon is ready (index from 0).
using StartedFn = std::function<void(const PeerState&, size_t index)>;

// $AGORA_TESTNET, else ~/.agora-testnet.
Result<std::filesystem::path> default_dir();

Result<State> load_state(const std::filesystem::path& dir);
Status save_state(const std::filesystem::path& dir, const State& state);

// True while `pid` runs the daemon of `repo` (not a zombie, not a reused pid).
bool daemon_alive(pid_t pid, const std::filesystem::path& repo);
// True while a daemon of the testnet recorded in `dir` runs.
bool runs_in(const std::filesystem::path& dir);

// Creates the repos that do not exist yet (repos left by an earlier `up` are reused: same keys,
// blocks and routing tables), starts the daemons one after another and records them. Refuses
// when a testnet in `dir` still runs, and when a reused repo is in another network than the one
// asked for (private with the directory's swarm.key, or public). A daemon that does not become
// ready stops the others.
Result<State> up(const UpOptions& options, const StartedFn& on_started);

struct Stopped {
  size_t daemons = 0;  // in the testnet
  size_t killed = 0;   // did not stop within the timeout
};

// Asks each running daemon to stop (SIGTERM: a clean shutdown that saves its state), waits up
// to `timeout`, then kills those left.
Result<Stopped> down(const std::filesystem::path& dir, std::chrono::seconds timeout);

}  // namespace agora::testnet
