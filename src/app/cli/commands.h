// CLI commands that are not the daemon. Each returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace agora {

struct CommonOptions {
  std::filesystem::path repo;
  bool json = false;
};

// `agora init --private` (a new random key) or `--swarm-key FILE` (join an existing network).
struct InitNetwork {
  bool create_private = false;
  std::string swarm_key_file;
};
int cmd_init(const CommonOptions& o, const std::vector<std::string>& listen, const std::string& api,
             const InitNetwork& network);
int cmd_id(const CommonOptions& o);
int cmd_ping(const CommonOptions& o, const std::string& addr, int count);
int cmd_perf(const CommonOptions& o, const std::string& addr, uint64_t upload, uint64_t download);
int cmd_swarm_peers(const CommonOptions& o);
int cmd_swarm_limits(const CommonOptions& o);
// Asks up to `peers` connected peers to dial this node back (AutoNAT).
int cmd_swarm_reachability(const CommonOptions& o, uint64_t peers);
int cmd_swarm_connect(const CommonOptions& o, const std::string& addr);
int cmd_swarm_disconnect(const CommonOptions& o, const std::string& peer);
// Without `since` the newest `limit` events; with it the oldest after it. Says what was dropped.
int cmd_events(const CommonOptions& o, std::optional<uint64_t> since, uint64_t limit, bool follow);
int cmd_metrics(const CommonOptions& o);
// The dashboard's address, and a link that logs in (the token after '#').
int cmd_dashboard(const CommonOptions& o);
int cmd_shutdown(const CommonOptions& o);

// `agora bootstrap list|add|rm` and `agora swarm known|protect|unprotect`.
struct PeerCommandArgs {
  CLI::App* known = nullptr;
  CLI::App* protect = nullptr;
  CLI::App* unprotect = nullptr;
  CLI::App* bootstrap = nullptr;
  CLI::App* bootstrap_list = nullptr;
  CLI::App* bootstrap_add = nullptr;
  CLI::App* bootstrap_rm = nullptr;
  std::vector<std::string> addrs;
  std::string peer;
  std::string tag = "user";
  bool all = false;
};
// Adds the subcommands; call after the `swarm` subcommand exists.
void register_peer_commands(CLI::App& app, PeerCommandArgs& args);
// Runs the one that was given, or returns std::nullopt if none was.
std::optional<int> run_peer_command(const CommonOptions& o, PeerCommandArgs& args);

}  // namespace agora
