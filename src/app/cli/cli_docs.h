// Documentation generated from the CLI definition: shell completions (bash, zsh, fish) and the
// man page are written by walking the CLI11 app (its subcommands, options, flags, positional
// arguments and descriptions), so they cannot drift from what `agora --help` says.
//
// Two hidden commands print them: `agora completions bash|zsh|fish` and `agora manpage`. The
// install step runs them (packaging/CMakeLists.txt); neither needs a repo or a daemon. Hidden
// commands and options (CLI11 group "") are left out of everything generated.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace agora {

// One option, flag or positional argument, as the generators see it.
struct CliArgDoc {
  std::vector<std::string> names;  // "-n", "--count"; empty for a positional
  std::string positional_name;     // "multiaddr"; empty for a named option
  std::string value_name;          // "UINT", "TEXT ..."; empty for a flag
  std::string description;
  bool required = false;
};

// One command: the root (empty path) or a subcommand such as {"swarm", "connect"}.
struct CliCommandDoc {
  std::vector<std::string> path;
  std::string description;
  std::vector<CliArgDoc> options;      // its own named options and flags, --help included
  std::vector<CliArgDoc> positionals;  // in the order they are given
  std::vector<std::string> subcommands;
  bool subcommand_required = false;
};

// Every visible command of `root`, depth first, the root first. Options of enclosing commands
// are not repeated: the CLI accepts them after a subcommand too (fallthrough), and the
// generators offer them there.
std::vector<CliCommandDoc> describe_cli(const CLI::App& root);

// "" for the root, "swarm connect" for a subcommand.
std::string command_path_text(const CliCommandDoc& command);

// Scripts that complete subcommands, options and files for `agora`.
std::string bash_completion(const std::vector<CliCommandDoc>& commands);
std::string zsh_completion(const std::vector<CliCommandDoc>& commands);
std::string fish_completion(const std::vector<CliCommandDoc>& commands);

// agora(1) in man(7) roff; `version` goes in the footer.
std::string man_page(const std::vector<CliCommandDoc>& commands, const std::string& version);

struct DocsArgs {
  CLI::App* completions = nullptr;
  CLI::App* manpage = nullptr;
  std::string shell;
};

// Adds the hidden `completions <shell>` and `manpage` commands to `app`.
void register_docs_commands(CLI::App& app, DocsArgs& args);
// Prints what the given docs command asks for (walking `app` as parsed), or std::nullopt if
// neither was given.
std::optional<int> run_docs_command(const CLI::App& app, const DocsArgs& args);

}  // namespace agora
