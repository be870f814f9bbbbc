#include "app/cli/cli_docs.h"

#include <gtest/gtest.h>

namespace agora {
namespace {

// A small CLI with every shape the walker meets: options with and without values, a hidden
// option and command, an option group, nested subcommands and positional arguments.
struct TestCli {
  CLI::App app{"tool: does things", "tool"};
  std::string repo, secret, addr, file;
  bool json = false, grouped = false;
  TestCli() {
    app.add_option("--repo", repo, "Repo directory");
    app.add_flag("--json", json, "JSON output");
    app.add_option("--secret", secret, "Never shown")->group("");
    app.add_option_group("extra")->add_flag("--grouped", grouped, "From a group");
    auto* swarm = app.add_subcommand("swarm", "Connections");
    swarm->require_subcommand(1);
    auto* connect = swarm->add_subcommand("connect", "Dial a peer's \"address\"");
    connect->add_option("multiaddr", addr, "Peer address")->required();
    connect->add_option("-o,--output", file, ".starts with a dot \\ and a backslash");
    app.add_subcommand("hidden", "Not for users")->group("");
  }
};

TEST(CliDocs, WalksVisibleCommandsOptionsAndPositionals) {
  TestCli cli;
  auto commands = describe_cli(cli.app);
  ASSERT_EQ(commands.size(), 3u);  // tool, swarm, swarm connect; not hidden
  EXPECT_TRUE(commands[0].path.empty());
  EXPECT_EQ(commands[0].subcommands, std::vector<std::string>{"swarm"});
  std::vector<std::string> root_options;
  for (const auto& o : commands[0].options) root_options.push_back(o.names.back());
  EXPECT_EQ(root_options, (std::vector<std::string>{"--help", "--repo", "--json", "--grouped"}));
  EXPECT_EQ(commands[0].options[1].value_name, "TEXT");
  EXPECT_TRUE(commands[0].options[2].value_name.empty());  // a flag

  EXPECT_EQ(command_path_text(commands[1]), "swarm");
  EXPECT_TRUE(commands[1].subcommand_required);
  const auto& connect = commands[2];
  EXPECT_EQ(command_path_text(connect), "swarm connect");
  ASSERT_EQ(connect.positionals.size(), 1u);
  EXPECT_EQ(connect.positionals[0].positional_name, "multiaddr");
  EXPECT_TRUE(connect.positionals[0].required);
  EXPECT_EQ(connect.options.back().names, (std::vector<std::string>{"-o", "--output"}));
}

TEST(CliDocs, BashOffersEnclosingOptionsOnceAndSkipsOptionValues) {
  TestCli cli;
  std::string bash = bash_completion(describe_cli(cli.app));
  EXPECT_NE(bash.find("    \"swarm\") echo 'connect' ;;\n"), std::string::npos);
  EXPECT_NE(bash.find("    \"swarm connect\") echo '-h --help -o --output --repo --json "
                      "--grouped' ;;\n"),
            std::string::npos)
      << bash;
  EXPECT_NE(bash.find("    \"swarm connect\") echo '-o --output --repo' ;;\n"),
            std::string::npos);  // the options that take a value
  EXPECT_EQ(bash.find("secret"), std::string::npos);
  EXPECT_EQ(bash.find("hidden"), std::string::npos);
}

TEST(CliDocs, ShellQuotingSurvivesQuotesInDescriptions) {
  TestCli cli;
  auto commands = describe_cli(cli.app);
  commands[2].description = "a peer's address";
  EXPECT_NE(zsh_completion(commands).find("'connect:a peer'\\''s address'"), std::string::npos);
  EXPECT_NE(fish_completion(commands).find("-a 'connect' -d 'a peer\\'s address'"),
            std::string::npos);
}

TEST(CliDocs, ManPageEscapesRoff) {
  TestCli cli;
  std::string man = man_page(describe_cli(cli.app), "1.2.3");
  EXPECT_EQ(man.find(".TH AGORA 1 \"\" \"agora 1.2.3\""), man.find(".TH"));
  EXPECT_NE(man.find(".SH NAME\nagora \\- does things\n"), std::string::npos);
  EXPECT_NE(man.find(".SS swarm connect\n"), std::string::npos);
  // A line starting with '.' would be a roff request; a backslash an escape.
  EXPECT_NE(man.find("\n\\&.starts with a dot \\e and a backslash\n"), std::string::npos) << man;
  EXPECT_NE(man.find("\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fITEXT\\fR"), std::string::npos);
  EXPECT_NE(man.find("\\fImultiaddr\\fR\nPeer address"), std::string::npos);
  EXPECT_EQ(man.find("(required)"), std::string::npos);
  auto commands = describe_cli(cli.app);
  commands[2].options.back().required = true;
  EXPECT_NE(man_page(commands, "1").find("a backslash (required)\n"), std::string::npos);
  EXPECT_EQ(man.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace agora
