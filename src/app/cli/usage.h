// A wrong command line, said so a person can fix it: which word is unknown, the closest command
// by edit distance, the commands there are; a command that needs a subcommand lists them. Under
// --json the same as one error object (kind "usage"). Exit code kExitUsage (cli_util.h). Also the
// help formatter that shows the global options (--repo, --json, ...) in every subcommand's
// --help, since they are accepted after the subcommand too.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace agora {

// Levenshtein distance (insertions, deletions, substitutions), for suggestions.
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, if close enough to be what was meant; "" otherwise.
std::string closest_word(std::string_view word, const std::vector<std::string>& candidates);

// Set on the root before subcommands are added (they inherit it).
std::shared_ptr<CLI::Formatter> help_formatter_with_globals();

// Reports a parse failure (not help or version) of `args` (argv without the program name) on
// stderr and returns kExitUsage. A bad or missing subcommand gets the message above; anything
// else CLI11's own message, pointing at --help.
int report_usage_error(const CLI::App& root, const CLI::ParseError& e,
                       const std::vector<std::string>& args);

}  // namespace agora
