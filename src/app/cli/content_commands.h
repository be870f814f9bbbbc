// CLI commands for content: add, cat, get, ls, pin, block, repo, and ops (long operations).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "app/cli/commands.h"

namespace agora {

struct ContentArgs {
  CLI::App* add = nullptr;
  CLI::App* cat = nullptr;
  CLI::App* get = nullptr;
  CLI::App* ls = nullptr;
  CLI::App* pin = nullptr;
  CLI::App* block = nullptr;
  CLI::App* repo = nullptr;
  CLI::App* ops = nullptr;
  std::vector<std::string> paths;
  bool recursive = false;
  std::string profile = "unixfs-v1-2025";
  bool only_hash = false;
  bool nocopy = false;
  bool pin_added = true;
  bool quiet = false;    // add -q: CIDs only
  bool quieter = false;  // add -Q: the root's CID only
  bool preserve_mode = false;
  std::string arg;
  std::string output;
  uint64_t max_size = 0;  // get --max-size, bytes; 0: no limit
  std::vector<std::string> peers;
  std::string codec = "raw";
  std::string name;
  bool direct = false;
};

// Adds the subcommands to `app`; `args` receives their options.
void register_content_commands(CLI::App& app, ContentArgs& args);
// Runs the content subcommand that was given, or returns std::nullopt if none was.
std::optional<int> run_content_command(const CommonOptions& o, ContentArgs& args);

}  // namespace agora
