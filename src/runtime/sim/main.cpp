// agora-sim: runs one simulation scenario and writes its JSON report.
//
//   agora-sim <scenario.toml> [--seed N] [--nodes N] [--report out.json] [--trace out.txt]
//
// Exit status: 0 when the scenario's [expect] thresholds hold, 1 when one is missed, 2 on bad
// input. The summary on stdout ends with the trace hash, so a failing seed is reproduced by
// running the same command again.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "runtime/sim/content_sim.h"
#include "runtime/sim/report.h"
#include "runtime/sim/simulator.h"

namespace {

using agora::sim::Scenario;

void print_summary(const Scenario& s, const agora::sim::RunResult& r,
                   const agora::sim::MachineStats& m) {
  const auto& l = r.lookups;
  std::printf("scenario %s: %llu nodes (%llu adversarial), seed %llu, %.0f s virtual\n",
              s.name.c_str(), (unsigned long long)r.nodes, (unsigned long long)r.adversaries,
              (unsigned long long)r.seed, r.virtual_seconds);
  std::printf(
      "lookups: %llu finished, %llu succeeded, success %.4f (%llu aborted, %llu unfinished)\n",
      (unsigned long long)l.finished, (unsigned long long)l.succeeded, l.success_rate,
      (unsigned long long)l.aborted, (unsigned long long)l.unfinished);
  std::printf("hops: median %.0f, p90 %.0f, max %.0f (log2 N = %.2f, log16 N = %.2f)\n",
              l.hops.median, l.hops.p90, l.hops.max, std::log2(double(r.nodes)),
              std::log(double(r.nodes)) / std::log(16.0));
  std::printf("messages per lookup: mean %.1f, median %.0f, p90 %.0f\n", l.messages.mean,
              l.messages.median, l.messages.p90);
  std::printf("latency: median %.0f ms, p90 %.0f ms\n", l.latency_ms.median, l.latency_ms.p90);
  std::printf("events %llu, wall %.2f s, peak RSS %.1f MiB, %.0f bytes per node\n",
              (unsigned long long)r.events, m.wall_seconds, double(m.peak_rss_bytes) / 1048576.0,
              m.memory_per_node_bytes);
  std::printf("trace %s (%llu lines)\n", r.trace_hash.c_str(), (unsigned long long)r.trace_lines);
}

// Wall time and peak memory once the run is over; memory per node from the growth.
void finish_machine_stats(agora::sim::MachineStats& machine,
                          std::chrono::steady_clock::time_point wall_start, uint64_t nodes) {
  machine.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  machine.peak_rss_bytes = agora::sim::read_memory_usage().peak_rss_bytes;
  if (machine.peak_rss_bytes > machine.rss_before_bytes)
    machine.memory_per_node_bytes =
        double(machine.peak_rss_bytes - machine.rss_before_bytes) / double(nodes);
}

// Writes the JSON report (if asked) and prints each missed expectation; the exit status.
int report_and_check(const std::string& report_path, const nlohmann::json& report,
                     const std::vector<std::string>& failures) {
  if (!report_path.empty()) {
    std::ofstream out(report_path);
    out << report.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "agora-sim: cannot write %s\n", report_path.c_str());
      return 2;
    }
  }
  for (const auto& f : failures) std::printf("EXPECTATION FAILED: %s\n", f.c_str());
  return failures.empty() ? 0 : 1;
}

void print_content_summary(const Scenario& s, const agora::sim::ContentResult& r,
                           const agora::sim::MachineStats& m) {
  std::printf("scenario %s: %llu nodes (%llu liars, %llu publishers), seed %llu, %.0f s virtual\n",
              s.name.c_str(), (unsigned long long)r.nodes, (unsigned long long)r.liars,
              (unsigned long long)r.publishers, (unsigned long long)r.seed, r.virtual_seconds);
  std::printf("fetches: %llu attempted, %llu completed (%.4f), %llu failed, %llu DHT rounds\n",
              (unsigned long long)r.fetches.attempted, (unsigned long long)r.fetches.completed,
              r.fetches.completed_rate, (unsigned long long)r.fetches.failed,
              (unsigned long long)r.fetches.dht_rounds);
  std::printf("fetch time: median %.2f s, p90 %.2f s, max %.2f s\n", r.fetches.seconds.median,
              r.fetches.seconds.p90, r.fetches.seconds.max);
  std::printf(
      "liars: %llu corrupt blocks refused, %llu bans, %llu liars banned, %llu honest banned\n",
      (unsigned long long)r.liars_report.corrupt_blocks, (unsigned long long)r.liars_report.bans,
      (unsigned long long)r.liars_report.liars_banned,
      (unsigned long long)r.liars_report.honest_banned);
  std::printf(
      "messages %llu, offline events %llu, wall %.2f s, peak RSS %.1f MiB, %.0f bytes per node\n",
      (unsigned long long)r.messages, (unsigned long long)r.offline_events, m.wall_seconds,
      double(m.peak_rss_bytes) / 1048576.0, m.memory_per_node_bytes);
  std::printf("trace %s (%llu lines)\n", r.trace_hash.c_str(), (unsigned long long)r.trace_lines);
}

// [content] scenarios: the kad and bitswap behaviours over the memory network.
int run_content(const Scenario& scenario, const std::string& report_path,
                const std::string& trace_path, bool progress) {
  agora::sim::MachineStats machine;
  machine.rss_before_bytes = agora::sim::read_memory_usage().rss_bytes;
  const auto wall_start = std::chrono::steady_clock::now();
  agora::sim::ContentOptions options{.trace_path = trace_path};
  if (progress) {
    options.on_progress = [wall_start](const agora::sim::ContentProgress& p) {
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      std::fprintf(stderr,
                   "t=%.0fs fetches=%llu/%llu messages=%llu connections=%zu streams=%zu "
                   "wall=%.0fs rss=%.0fMiB\n",
                   double(p.now.time_since_epoch().count()) / 1e9,
                   (unsigned long long)p.fetches_completed, (unsigned long long)p.fetches_attempted,
                   (unsigned long long)p.messages, p.connections, p.streams, wall,
                   double(agora::sim::read_memory_usage().rss_bytes) / 1048576.0);
    };
  }
  auto result = agora::sim::run_content_scenario(scenario, options);
  if (!result.ok()) {
    std::fprintf(stderr, "agora-sim: %s\n", result.error().to_string().c_str());
    return 2;
  }
  finish_machine_stats(machine, wall_start, scenario.nodes);
  print_content_summary(scenario, *result, machine);
  return report_and_check(report_path, agora::sim::content_to_json(scenario, *result, machine),
                          agora::sim::check_content_expectations(scenario, *result));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "agora-sim: deterministic simulation of many kad nodes in virtual time; a scenario "
      "with [content] runs the kad and bitswap behaviours fetching content instead",
      "agora-sim"};
  std::string scenario_path, report_path, trace_path;
  std::optional<uint64_t> seed, nodes;
  bool progress = false;
  app.add_option("scenario", scenario_path, "Scenario file (TOML)")->required();
  app.add_option("--seed", seed, "Override the scenario's seed");
  app.add_option("--nodes", nodes, "Override the scenario's node count");
  app.add_option("--report", report_path, "Write the JSON report here");
  app.add_option("--trace", trace_path, "Write the event trace lines here");
  app.add_flag("--progress", progress,
               "Print progress to stderr every 30 s of virtual time (both scenario kinds)");
  CLI11_PARSE(app, argc, argv);

  auto loaded = agora::sim::load_scenario(scenario_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "agora-sim: %s\n", loaded.error().to_string().c_str());
    return 2;
  }
  Scenario scenario = std::move(loaded).value();
  if (seed) scenario.seed = *seed;
  if (nodes) scenario.nodes = *nodes;
  if (auto st = agora::sim::validate_scenario(scenario); !st.ok()) {
    std::fprintf(stderr, "agora-sim: %s\n", st.error().to_string().c_str());
    return 2;
  }

  if (scenario.content) return run_content(scenario, report_path, trace_path, progress);

  agora::sim::MachineStats machine;
  machine.rss_before_bytes = agora::sim::read_memory_usage().rss_bytes;
  const auto wall_start = std::chrono::steady_clock::now();
  agora::sim::SimOptions options;
  options.trace_path = trace_path;
  if (progress) {
    options.on_progress = [wall_start](const agora::sim::SimProgress& p) {
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      std::fprintf(
          stderr, "t=%.0fs events=%llu online=%zu queued=%zu lookups=%llu wall=%.0fs rss=%.0fMiB\n",
          double(p.now.time_since_epoch().count()) / 1e9, (unsigned long long)p.events, p.online,
          p.queued, (unsigned long long)p.lookups_finished, wall,
          double(agora::sim::read_memory_usage().rss_bytes) / 1048576.0);
    };
  }
  agora::sim::Simulator simulator(scenario, options);
  auto result = simulator.run();
  if (!result.ok()) {
    std::fprintf(stderr, "agora-sim: %s\n", result.error().to_string().c_str());
    return 2;
  }
  finish_machine_stats(machine, wall_start, scenario.nodes);
  print_summary(scenario, *result, machine);
  return report_and_check(report_path, agora::sim::to_json(scenario, *result, machine),
                          agora::sim::check_expectations(scenario, *result));
}
