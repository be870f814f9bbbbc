#include "app/cli/trace_commands.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"
#include "app/cli/trace_format.h"

namespace agora {

namespace {

using nlohmann::json;

int cmd_trace_show(const CommonOptions& o, const TraceArgs& a) {
  if (!a.output.empty() && std::filesystem::exists(a.output))
    return fail(make_error(Errc::exists, a.output + " already exists"));
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  auto trace = client->get("/api/v0/trace", {{"arg", a.id}, {"peers", a.local ? "0" : "1"}});
  if (!trace) return fail(trace.error());
  std::string text;
  if (a.format == "otlp") {
    text = trace_otlp(*trace).dump(o.json ? -1 : 2) + "\n";
  } else if (a.format == "perfetto") {
    text = trace_perfetto(*trace).dump() + "\n";
  } else if (o.json) {
    json out = *trace;
    out["spans"] = link_spans(*trace);
    text = out.dump() + "\n";
  } else {
    text = trace_text(*trace);
  }
  if (a.output.empty()) {
    std::cout << text;
    return kExitOk;
  }
  std::ofstream file(a.output, std::ios::binary);
  if (!(file << text) || !file.flush())
    return fail(make_error(Errc::io, "cannot write " + a.output));
  return kExitOk;
}

int cmd_trace_ls(const CommonOptions& o, const TraceArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  auto traces = client->get("/api/v0/traces", {{"limit", std::to_string(a.limit)}});
  if (!traces) return fail(traces.error());
  if (o.json) {
    std::cout << traces->dump() << "\n";
    return kExitOk;
  }
  for (const json& t : (*traces)["traces"]) {
    double ms = double(t.value("end_ns", int64_t(0)) - t.value("start_ns", int64_t(0))) / 1e6;
    std::cout << t.value("trace_id", "") << "  " << t.value("name", "") << " " << t.value("key", "")
              << "  " << fmt::format("{:.1f} ms", ms) << "  " << t.value("outcome", "") << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_trace_commands(CLI::App& app, TraceArgs& a) {
  a.trace = app.add_subcommand(
      "trace",
      "Traces of operations run with --trace: this node's spans merged with those the peers "
      "it asked answer (docs/tracing.md)");
  a.trace->require_subcommand(1);
  a.show = a.trace->add_subcommand(
      "show",
      "Show one trace: the spans of every peer it touched on one timeline (peers that serve "
      "/agora/diag/1.0.0 are asked for theirs), as a text tree, OTLP/JSON or Perfetto JSON");
  a.show->add_option("id", a.id, "Trace id (32 hex digits, as --trace printed it)")->required();
  a.show->add_option("--format", a.format, "text (default), otlp or perfetto")
      ->check(CLI::IsMember({"text", "otlp", "perfetto"}));
  a.show->add_flag("--local", a.local, "Only this node's spans: ask no peer");
  a.show->add_option("-o,--output", a.output, "Write here (must not exist), not stdout");
  a.ls = a.trace->add_subcommand("ls", "The newest traces recorded here, newest first");
  a.ls->add_option("--limit", a.limit, "At most this many (default 20)")
      ->check(CLI::Range(size_t(1), size_t(1000)));
}

std::optional<int> run_trace_command(const CommonOptions& o, TraceArgs& a) {
  if (!a.trace || !*a.trace) return std::nullopt;
  if (*a.show) return cmd_trace_show(o, a);
  if (*a.ls) return cmd_trace_ls(o, a);
  return 1;
}

}  // namespace agora
