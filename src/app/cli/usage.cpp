#include "app/cli/usage.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/cli/cli_util.h"

namespace agora {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string closest_word(std::string_view word, const std::vector<std::string>& candidates) {
  // Up to a third of the word may be wrong (at least one letter): "addd" -> "add", "peer" ->
  // "peers", but "x" suggests nothing.
  size_t allowed = std::max<size_t>(1, word.size() / 3);
  std::string best;
  size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (c.starts_with(word) && word.size() >= 2) d = std::min(d, allowed);  // "bootst"
    if (d < best_distance) best = c, best_distance = d;
  }
  return best;
}

namespace {

std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* s) { return !s->get_name().empty(); });
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* s : visible_subcommands(app)) names.push_back(s->get_name());
  return names;
}

// "agora swarm", the way a user typed the path to `app`.
std::string command_path(const CLI::App& app) {
  std::string path = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent())
    path = p->get_name() + " " + path;
  return path;
}

// The option `word` names at `app` or above it (fallthrough), or nullptr.
const CLI::Option* find_option(const CLI::App& app, const std::string& word) {
  std::string name = word.substr(0, word.find('='));
  for (const CLI::App* a = &app; a != nullptr; a = a->get_parent()) {
    auto found = a->get_options([&](const CLI::Option* o) { return o->check_name(name); });
    if (!found.empty()) return found.front();
  }
  return nullptr;
}

bool has_positionals(const CLI::App& app) {
  return !app.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
}

struct SubcommandProblem {
  const CLI::App* at = nullptr;  // the command whose subcommand is wrong or missing
  std::string unknown;           // the word that is no subcommand of it; "" when none was given
  std::string unknown_option;    // or an option neither it nor a command above it has
};

// Follows the words of `args` down the command tree, as CLI11 does, to the first word that should
// have been a subcommand and is not, or to a command left without the subcommand it needs.
std::optional<SubcommandProblem> find_subcommand_problem(const CLI::App& root,
                                                         const std::vector<std::string>& args) {
  const CLI::App* at = &root;
  bool positional_seen = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& w = args[i];
    if (w == "--") break;
    if (w.size() > 1 && w[0] == '-') {
      const CLI::Option* opt = find_option(*at, w);
      if (opt == nullptr) return SubcommandProblem{at, "", w};
      bool value_attached = w[1] == '-' ? w.find('=') != std::string::npos : w.size() > 2;
      if (opt != nullptr && opt->get_expected_min() > 0 && !value_attached) ++i;  // its value
      continue;
    }
    auto subs = visible_subcommands(*at);
    auto sub =
        std::find_if(subs.begin(), subs.end(), [&](const CLI::App* s) { return s->check_name(w); });
    if (sub != subs.end()) {
      at = *sub, positional_seen = false;
      continue;
    }
    if (!subs.empty() && !has_positionals(*at) && !positional_seen) return SubcommandProblem{at, w};
    positional_seen = true;  // an argument of `at`: no subcommand follows
  }
  if (at->get_require_subcommand_min() > 0) return SubcommandProblem{at, ""};
  return std::nullopt;
}

std::string subcommand_list(const CLI::App& app) {
  auto subs = visible_subcommands(app);
  size_t width = 0;
  for (const auto* s : subs) width = std::max(width, s->get_name().size());
  std::string out;
  for (const auto* s : subs) {
    std::string description = s->get_description();
    if (description.size() > 72) description = description.substr(0, 69) + "...";
    out += "  " + s->get_name() + std::string(width + 2 - s->get_name().size(), ' ') + description +
           "\n";
  }
  return out;
}

int report_subcommand_problem(const SubcommandProblem& p) {
  std::string path = command_path(*p.at);
  if (!p.unknown_option.empty()) {
    std::string option = p.unknown_option.substr(0, p.unknown_option.find('='));
    int rc = print_error(kKindUsage, "unknown option '" + option + "' for '" + path + "'",
                         kExitUsage, {{"unknown", option}});
    if (!json_errors()) std::cerr << "run '" << path << " --help' for its options\n";
    return rc;
  }
  auto names = subcommand_names(*p.at);
  std::string message;
  std::string suggestion;
  if (p.unknown.empty()) {
    message = "'" + path + "' needs a command";
  } else {
    message = "unknown command '" + p.unknown + "' for '" + path + "'";
    suggestion = closest_word(p.unknown, names);
    if (!suggestion.empty()) message += "; did you mean '" + suggestion + "'?";
  }
  if (json_errors()) {
    nlohmann::json extra = {{"commands", names}};
    if (!p.unknown.empty()) extra["unknown"] = p.unknown;
    if (!suggestion.empty()) extra["suggestion"] = path + " " + suggestion;
    return print_error(kKindUsage, message, kExitUsage, extra);
  }
  print_error(kKindUsage, message, kExitUsage);
  std::cerr << "\ncommands of '" << path << "':\n"
            << subcommand_list(*p.at) << "\nrun '" << path << " <command> --help' for more\n";
  return kExitUsage;
}

// Shows the root's options below a subcommand's own.
class GlobalsFormatter : public CLI::Formatter {
 public:
  std::string make_footer(const CLI::App* app) const override {
    std::string footer = CLI::Formatter::make_footer(app);
    if (app->get_parent() == nullptr) return footer;
    const CLI::App* root = app;
    while (root->get_parent() != nullptr) root = root->get_parent();
    auto globals = root->get_options([root](const CLI::Option* o) {
      return o->nonpositional() && o != root->get_help_ptr() && o != root->get_help_all_ptr();
    });
    if (globals.empty()) return footer;
    return make_group("Global options (before or after the command)", false, globals) + "\n" +
           footer;
  }
};

}  // namespace

std::shared_ptr<CLI::Formatter> help_formatter_with_globals() {
  return std::make_shared<GlobalsFormatter>();
}

int report_usage_error(const CLI::App& root, const CLI::ParseError& e,
                       const std::vector<std::string>& args) {
  if (auto problem = find_subcommand_problem(root, args))
    return report_subcommand_problem(*problem);
  std::string message = e.what();
  if (json_errors()) return print_error(kKindUsage, message, kExitUsage);
  print_error(kKindUsage, message, kExitUsage);
  std::cerr << "run '" << root.get_name() << " --help' (or '<command> --help') for more\n";
  return kExitUsage;
}

}  // namespace agora
