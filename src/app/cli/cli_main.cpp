// agora's command line: parses arguments and hands off to one command.
#include "app/cli/cli_main.h"

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "agora/repo.h"
#include "agora/version.h"
#include "app/cli/api_client.h"
#include "app/cli/cli_docs.h"
#include "app/cli/cli_util.h"
#include "app/cli/commands.h"
#include "app/cli/content_commands.h"
#include "app/cli/crawl.h"
#include "app/cli/debug_bundle.h"
#include "app/cli/dht_commands.h"
#include "app/cli/doctor.h"
#include "app/cli/events_view.h"
#include "app/cli/testnet_commands.h"
#include "app/cli/trace_commands.h"
#include "app/cli/trace_format.h"
#include "app/cli/usage.h"
#include "app/cli/version_info.h"

namespace agora {

namespace {

// Blocks are 256 KiB to 1 MiB, so glibc's defaults would give each one its own mmap and hand
// freed heap back to the kernel; every reuse then pays fresh page faults, which cost ~40 us per
// page on virtual machines whose host backs guest memory lazily (measured: 97 MiB/s first-touch
// here). Keeping big buffers in the heap and not trimming it makes steady-state transfers reuse
// warm memory. Peak RSS is unchanged; it is just not given back.
void keep_block_buffers_warm() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

// --json anywhere before "--": known before parsing, so that a parse error is JSON too.
bool json_requested(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--") return false;
    if (a == "--json") return true;
  }
  return false;
}

int parse_and_run(int argc, char** argv, const RunDaemon& run_daemon) {
  std::vector<std::string> args(argv + 1, argv + argc);
  set_json_errors(json_requested(args));
  CLI::App app{"agora: a peer-to-peer node that speaks libp2p", "agora"};
  app.formatter(help_formatter_with_globals());
  bool json_output = json_requested(args);
  app.set_version_flag(
      "--version",
      [json_output] {
        std::string text = json_output ? version_json().dump() : version_text();
        while (!text.empty() && text.back() == '\n') text.pop_back();  // CLI11 adds one
        return text;
      },
      "Show the version, the git commit and the libraries' versions (as `agora version`)");
  app.require_subcommand(1);
  app.fallthrough();  // --repo and --json may also follow the subcommand
  std::string repo_arg;
  CommonOptions common;
  app.add_option("--repo", repo_arg, "Repo directory (default: $AGORA_PATH or ~/.agora)");
  app.add_flag("--json", common.json, "Machine-readable JSON output");
  bool api_tcp = false;
  bool trace = false;
  app.add_flag("--trace", trace,
               "Trace what this command makes the daemon do, and print the trace id (to standard "
               "error: `trace <id>`, or {\"trace_id\"} with --json); see `agora trace show`");
  app.add_flag("--api-tcp", api_tcp,
               "Reach the daemon over its TCP API address even when its Unix socket "
               "(<repo>/api.sock) answers");

  auto* init = app.add_subcommand(
      "init",
      "Create a repo: identity key, API token, config.toml (and swarm.key for a private "
      "network)");
  std::vector<std::string> listen;
  std::string api_addr;
  InitNetwork network;
  auto* private_flag = init->add_flag(
      "--private", network.create_private,
      "Start a new private network: write a random swarm.key (mode 0600). Only peers with the same "
      "key can connect; share the file to let others join");
  init->add_option("--swarm-key", network.swarm_key_file,
                   "Join an existing private network: copy this swarm.key (kubo's format, "
                   "/key/swarm/psk/1.0.0/) into the repo")
      ->excludes(private_flag);
  init->add_option("--listen", listen,
                   "Listen multiaddr (repeatable; default: 0.0.0.0 and :: port 4001)");
  init->add_option("--api", api_addr,
                   "API host:port on loopback (default 127.0.0.1:5001; port 0 = any)");

  auto* daemon = app.add_subcommand(
      "daemon",
      "Run the node until SIGINT/SIGTERM. With swarm.key in the repo it is in that private "
      "network (only peers with the key connect); LIBP2P_FORCE_PNET=1 refuses to run without one");
  DaemonOptions dopts;
  daemon->add_flag("--no-inline-muxer", dopts.no_inline_muxer,
                   "Offer no muxer inside the Noise handshake (negotiate yamux with multistream)");
  daemon
      ->add_option("--log-level", dopts.log_level,
                   "Log at and above this level: debug, info, warn or error. The log has a time "
                   "and a level on each line; the start-up lines on stdout stay as they are")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  daemon->add_option("--log-file", dopts.log_file,
                     "Append the log to this file instead of writing it to stderr");
  daemon->add_option("--upload-rate", dopts.upload_rate,
                     "Bytes per second this node sends to all peers together (0: no limit); "
                     "overrides [limits] upload_bytes_per_second");
  daemon->add_option("--download-rate", dopts.download_rate,
                     "Bytes per second this node reads from all peers together (0: no limit); "
                     "overrides [limits] download_bytes_per_second");

  app.add_subcommand("id",
                     "Show this node's peer id, addresses and protocols, its network (private: the "
                     "swarm key's fingerprint) and the discovery in use (mDNS, bootstrap, DHT)");

  auto* ping = app.add_subcommand("ping", "Measure round trips to a peer (/ipfs/ping/1.0.0)");
  std::string target;
  int count = 3;
  ping->add_option("peer", target,
                   "A peer address (/ip4/1.2.3.4/tcp/4001/p2p/12D3...) or a peer id (its "
                   "addresses from the peer store, else a DHT lookup)")
      ->required();
  ping->add_option("-n,--count", count, "Number of pings")->check(CLI::Range(1, 1000));

  auto* perf = app.add_subcommand("perf", "Measure throughput to a peer (/perf/1.0.0)");
  uint64_t upload = 0, download = 0;
  perf->add_option("multiaddr", target, "Peer address")->required();
  perf->add_option("--upload", upload, "Bytes to send")->required();
  perf->add_option("--download", download, "Bytes to receive")->required();

  auto* swarm = app.add_subcommand("swarm", "Inspect and manage connections");
  swarm->require_subcommand(1);
  swarm->add_subcommand("peers", "List connected peers with what identify told us");
  swarm->add_subcommand("limits",
                        "Show the swarm's limits beside what is in use (connections, streams by "
                        "scope and protocol, dials) and the refusals so far by scope and limit");
  auto* reachability = swarm->add_subcommand(
      "reachability",
      "Ask connected peers to dial this node back (AutoNAT, /libp2p/autonat/1.0.0): whether it "
      "can be reached at its listen addresses");
  uint64_t reach_peers = 3;
  reachability->add_option("--peers", reach_peers, "Peers to ask (1..8)")->capture_default_str();
  auto* connect = swarm->add_subcommand("connect", "Dial a peer");
  connect->add_option("multiaddr", target, "Peer address")->required();
  auto* disconnect = swarm->add_subcommand("disconnect", "Close every connection to a peer");
  std::string peer;
  disconnect->add_option("peer", peer, "Peer id")->required();
  PeerCommandArgs peer_args;
  register_peer_commands(app, peer_args);  // swarm known|protect|unprotect, bootstrap

  auto* events = app.add_subcommand(
      "events",
      "Show the daemon's newest events (flight recorder), oldest first, and how many the ring "
      "dropped; repeated refusals show as one summary with count=N. With --json: one JSON object "
      "per line, events and a {\"missed\",...} line where some were dropped or not shown");
  uint64_t since = 0;
  uint64_t events_limit = kEventsLimitDefault;
  bool follow = false;
  auto* since_opt = events->add_option(
      "--since", since, "Instead of the newest: the oldest events after this sequence number");
  events
      ->add_option("-n,--limit", events_limit,
                   "At most this many events per answer (default " +
                       std::to_string(kEventsLimitDefault) + ")")
      ->check(CLI::Range(uint64_t(1), kEventsLimitMax));
  events->add_flag("-f,--follow", follow, "Keep printing new events");

  ContentArgs content;
  register_content_commands(app, content);
  DhtArgs dht;
  register_dht_commands(app, dht);
  TestnetArgs testnet;
  register_testnet_commands(app, testnet);
  TraceArgs traces;
  register_trace_commands(app, traces);

  auto* version = app.add_subcommand(
      "version", "Show agora's version, the git commit it was built from and its libraries'");
  app.add_subcommand("metrics", "Print the daemon's metrics (Prometheus text format)");
  app.add_subcommand("shutdown", "Ask the running daemon to stop");
  app.add_subcommand("dashboard",
                     "Print the web dashboard's address and a link that logs in to it (the "
                     "daemon serves it at its API address)");
  auto* doctor = app.add_subcommand(
      "doctor",
      "Find where a problem lies: checks the repo and disk, the daemon, its listening ports, "
      "bootstrap, peers and recent connection failures, and for a target whether its content "
      "or the peer can be reached; ends with a verdict (ok, local, connection, network), the "
      "evidence and the fix. Exit code 2 when a check failed");
  std::string doctor_target;
  doctor->add_option("target", doctor_target, "A CID, a peer id or a multiaddr (optional)");
  auto* crawl = app.add_subcommand(
      "crawl",
      "Crawl the DHT from this node (bounded, rate-limited): a lookup for every peer learned of; "
      "prints nodes (reachable or not, agent, protocols, addresses) and edges (who returned whom) "
      "as JSON, Graphviz DOT or SVG");
  CrawlOptions crawl_options;
  crawl->add_option("--max-nodes", crawl_options.nodes_max, "Peers kept at most (default 1000)")
      ->check(CLI::Range(size_t(1), size_t(100000)));
  crawl->add_option("--max-queries", crawl_options.queries_max, "Lookups at most (default 1000)")
      ->check(CLI::Range(size_t(1), size_t(100000)));
  crawl
      ->add_option("--rate", crawl_options.queries_per_second,
                   "Lookups per second at most (default 10)")
      ->check(CLI::Range(0.01, 1000.0));
  crawl->add_option("--format", crawl_options.format, "json (default), dot or svg")
      ->check(CLI::IsMember({"json", "dot", "svg"}));
  crawl->add_option("-o,--output", crawl_options.output, "Write here (must not exist), not stdout");
  auto* debug = app.add_subcommand("debug", "Gather what a bug report needs");
  debug->require_subcommand(1);
  auto* bundle = debug->add_subcommand(
      "bundle",
      "Write one .tar.gz for a bug report: version, config.toml (secrets redacted), and from the "
      "running daemon its id, connections, limits, peer store, bootstrap list, DHT status and "
      "routing table, operations, repo stat, events and metrics; never a key or the API token");
  std::string bundle_output;
  bundle->add_option("-o,--output", bundle_output,
                     "Where to write it (must not exist; default agora-debug-<UTC time>.tar.gz)");

  DocsArgs docs;
  register_docs_commands(app, docs);  // hidden: completions bash|zsh|fish, manpage

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" with exit code 0; the rest are usage errors.
    if (e.get_exit_code() == 0) return app.exit(e);
    return report_usage_error(app, e, args);
  }
  if (auto rc = run_docs_command(app, docs)) return *rc;  // needs no repo
  ApiClient::set_prefer_tcp(api_tcp);
  std::string trace_id;
  if (trace) {
    auto [id, header] = new_traceparent();
    trace_id = id;
    ApiClient::set_traceparent(header);
  }
  // The id is printed however the command ends: a failed operation is worth a look too.
  struct PrintTraceId {
    const std::string& id;
    bool json;
    ~PrintTraceId() {
      if (id.empty()) return;
      if (json)
        std::cerr << nlohmann::json{{"trace_id", id}}.dump() << "\n";
      else
        std::cerr << "trace " << id << "\n";
    }
  } print_trace_id{trace_id, common.json};
  if (*version) {  // needs no repo
    std::cout << (common.json ? version_json().dump() + "\n" : version_text());
    return kExitOk;
  }

  if (repo_arg.empty()) {
    auto path = default_repo_path();
    if (!path) return fail(path.error());
    common.repo = *path;
  } else {
    common.repo = repo_arg;
  }

  if (*init) return cmd_init(common, listen, api_addr, network);
  if (*daemon) {
    dopts.repo = common.repo;
    dopts.json = common.json;
    return run_daemon(dopts);
  }
  if (app.got_subcommand("id")) return cmd_id(common);
  if (*ping) return cmd_ping(common, target, count);
  if (*perf) return cmd_perf(common, target, upload, download);
  if (*swarm) {
    if (swarm->got_subcommand("peers")) return cmd_swarm_peers(common);
    if (swarm->got_subcommand("limits")) return cmd_swarm_limits(common);
    if (*reachability) return cmd_swarm_reachability(common, reach_peers);
    if (*connect) return cmd_swarm_connect(common, target);
    if (*disconnect) return cmd_swarm_disconnect(common, peer);
  }
  if (auto rc = run_peer_command(common, peer_args)) return *rc;
  if (*events) {
    std::optional<uint64_t> from;
    if (since_opt->count() > 0) from = since;
    return cmd_events(common, from, events_limit, follow);
  }
  if (auto rc = run_content_command(common, content)) return *rc;
  if (auto rc = run_dht_command(common, dht)) return *rc;
  if (auto rc = run_testnet_command(common, testnet)) return *rc;
  if (auto rc = run_trace_command(common, traces)) return *rc;
  if (app.got_subcommand("metrics")) return cmd_metrics(common);
  if (app.got_subcommand("shutdown")) return cmd_shutdown(common);
  if (app.got_subcommand("dashboard")) return cmd_dashboard(common);
  if (*bundle) return cmd_debug_bundle(common, bundle_output);
  if (*doctor) return cmd_doctor(common, doctor_target);
  if (*crawl) return cmd_crawl(common, crawl_options);
  return print_error("internal", "no command ran", kExitFailed);
}

}  // namespace

int run_cli(int argc, char** argv, const RunDaemon& run_daemon) {
  keep_block_buffers_warm();
  try {
    return parse_and_run(argc, argv, run_daemon);
  } catch (const std::exception& e) {
    // A bug (an answer without a field the CLI expects, ...): still an error the caller can read.
    return print_error(errc_name(Errc::internal), std::string("unexpected: ") + e.what(),
                       kExitFailed);
  }
}

}  // namespace agora
