// CLI commands for a local testnet: `agora testnet up|status|down`.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "app/cli/commands.h"

namespace agora {

struct TestnetArgs {
  CLI::App* testnet = nullptr;
  CLI::App* up = nullptr;
  CLI::App* status = nullptr;
  CLI::App* down = nullptr;
  std::string dir;
  size_t peers = 10;
  size_t bootstrap_peers = 3;
  std::optional<size_t> low_water;
  int wait_seconds = 120;
  int stop_seconds = 20;
  bool remove = false;
  bool public_network = false;
  bool metrics = false;  // up: start Prometheus scraping the daemons (testnet_metrics.h)
  uint16_t metrics_port = 9090;
};

// Adds `testnet` and its subcommands to `app`; `args` receives their options.
void register_testnet_commands(CLI::App& app, TestnetArgs& args);
// Runs the testnet subcommand that was given, or returns std::nullopt if none was.
std::optional<int> run_testnet_command(const CommonOptions& o, TestnetArgs& args);

}  // namespace agora
