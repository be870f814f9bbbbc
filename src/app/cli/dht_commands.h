// CLI commands for the DHT: `agora dht findpeer|findprovs|get|put|query|status|table`.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "app/cli/commands.h"

namespace agora {

struct DhtArgs {
  CLI::App* dht = nullptr;
  CLI::App* findpeer = nullptr;
  CLI::App* findprovs = nullptr;
  CLI::App* get = nullptr;
  CLI::App* put = nullptr;
  CLI::App* query = nullptr;
  CLI::App* status = nullptr;
  CLI::App* table = nullptr;
  std::string arg;
  std::string value_file;
  std::string output;
};

// Adds `dht` and its subcommands to `app`; `args` receives their options.
void register_dht_commands(CLI::App& app, DhtArgs& args);
// Runs the dht subcommand that was given, or returns std::nullopt if none was.
std::optional<int> run_dht_command(const CommonOptions& o, DhtArgs& args);

}  // namespace agora
