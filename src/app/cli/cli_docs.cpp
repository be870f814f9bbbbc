// Walks the CLI11 app into CliCommandDoc records, and the hidden commands that print what the
// generators make of them.
#include "app/cli/cli_docs.h"

#include <algorithm>
#include <iostream>

#include "agora/version.h"

namespace agora {

namespace {

bool visible(const CLI::App* app) { return !app->get_group().empty(); }

CliArgDoc describe_option(const CLI::Option& opt) {
  CliArgDoc doc;
  for (const auto& s : opt.get_snames()) doc.names.push_back("-" + s);
  for (const auto& l : opt.get_lnames()) doc.names.push_back("--" + l);
  if (doc.names.empty()) doc.positional_name = opt.get_name(true);
  // Flags take no value: CLI11 gives them a type size of zero.
  if (opt.get_type_size_max() > 0) doc.value_name = opt.get_type_name();
  doc.description = opt.get_description();
  doc.required = opt.get_required();
  return doc;
}

// Adds `app`'s own options to `doc`, and those of its nameless option groups.
void add_options(const CLI::App& app, CliCommandDoc& doc) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_group().empty()) continue;  // hidden
    CliArgDoc arg = describe_option(*opt);
    // An option group carries a copy of its parent's --help: list each name once.
    bool listed = std::any_of(doc.options.begin(), doc.options.end(), [&](const CliArgDoc& o) {
      return !arg.names.empty() && o.names == arg.names;
    });
    if (listed) continue;
    (arg.names.empty() ? doc.positionals : doc.options).push_back(std::move(arg));
  }
  for (const CLI::App* group :
       app.get_subcommands([](const CLI::App* s) { return s->get_name().empty() && visible(s); }))
    add_options(*group, doc);
}

void describe_command(const CLI::App& app, std::vector<std::string> path,
                      std::vector<CliCommandDoc>& out) {
  CliCommandDoc doc;
  doc.path = path;
  doc.description = app.get_description();
  doc.subcommand_required = app.get_require_subcommand_min() > 0;
  add_options(app, doc);
  auto subs =
      app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty() && visible(s); });
  for (const CLI::App* sub : subs) doc.subcommands.push_back(sub->get_name());
  out.push_back(std::move(doc));
  for (const CLI::App* sub : subs) {
    path.push_back(sub->get_name());
    describe_command(*sub, path, out);
    path.pop_back();
  }
}

}  // namespace

std::vector<CliCommandDoc> describe_cli(const CLI::App& root) {
  std::vector<CliCommandDoc> out;
  describe_command(root, {}, out);
  return out;
}

std::string command_path_text(const CliCommandDoc& command) {
  std::string text;
  for (const auto& word : command.path) text += (text.empty() ? "" : " ") + word;
  return text;
}

void register_docs_commands(CLI::App& app, DocsArgs& a) {
  a.completions = app.add_subcommand(
      "completions", "Print a completion script for bash, zsh or fish (generated from this CLI)");
  a.completions->add_option("shell", a.shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  a.manpage = app.add_subcommand("manpage", "Print agora(1), the man page, in roff");
  // Hidden: they are for the install step, not for daily use.
  a.completions->group("");
  a.manpage->group("");
}

std::optional<int> run_docs_command(const CLI::App& app, const DocsArgs& a) {
  if (a.completions && *a.completions) {
    auto commands = describe_cli(app);
    if (a.shell == "bash") std::cout << bash_completion(commands);
    if (a.shell == "zsh") std::cout << zsh_completion(commands);
    if (a.shell == "fish") std::cout << fish_completion(commands);
  } else if (a.manpage && *a.manpage) {
    std::cout << man_page(describe_cli(app), kAgoraVersion);
  } else {
    return std::nullopt;
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "error: could not write to standard output\n";
    return 1;
  }
  return 0;
}

}  // namespace agora
