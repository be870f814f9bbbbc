// `agora trace show <id> [--format text|otlp|perfetto] [--local] [-o FILE]` and `agora trace ls`:
// a trace the daemon recorded, merged with the spans the peers it touched answer over
// /agora/diag/1.0.0 (docs/tracing.md), and the newest traces. A trace comes from any command
// run with the global --trace flag (it prints the trace id).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

#include "app/cli/commands.h"

namespace agora {

struct TraceArgs {
  CLI::App* trace = nullptr;
  CLI::App* show = nullptr;
  CLI::App* ls = nullptr;
  std::string id;
  std::string format = "text";
  std::string output;
  bool local = false;
  size_t limit = 20;
};

void register_trace_commands(CLI::App& app, TraceArgs& args);
std::optional<int> run_trace_command(const CommonOptions& o, TraceArgs& args);

}  // namespace agora
