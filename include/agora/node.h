// agora::Node, the public face of a node: it owns its repo (locked while open), blockstore, pins
// and networking, and offers the operations the agora CLI and its HTTP API are built from.
//
// Threads: the node runs its networking on one event loop thread: one of its own, or the thread
// that calls run_loop() (NodeOptions::own_loop_thread); hashing and disk work run on the calling
// thread. Every method blocks until done and may be called from any thread but the loop's.
// Callbacks (progress, chunks, lookup steps) run on the calling thread, never on the loop, so a
// slow consumer (a client reading an HTTP answer) never stalls the node; reports a slow consumer
// cannot keep up with are coalesced (progress carries totals).
//
// Errors: every operation returns a Result whose Errc says what kind of failure it was
// (invalid_input, not_found, limit, timeout, io, ...); messages are for people. Arguments are
// text in the usual forms: multiaddrs (/ip4/.../tcp/.../p2p/12D3...), peer ids, CIDs and
// `<cid>[/path]` content paths.
//
// Views (peers, limits, DHT table, events, ...) are JSON documents in the shapes docs/api.md
// gives: the node owns those shapes, so an embedding application shows what `agora` shows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agora/api_limits.h"
#include "agora/content_types.h"
#include "agora/result.h"

namespace agora {

using Json = nlohmann::json;

struct NodeOptions {
  std::filesystem::path repo;  // made by init_repo (agora/repo.h); locked while the node is open
  bool inline_muxer = true;    // false: no muxer inside Noise, yamux by multistream-select
  // Bandwidth in bytes per second for the whole node, over [limits] in config.toml (0: none).
  std::optional<uint64_t> upload_bytes_per_second;
  std::optional<uint64_t> download_bytes_per_second;
  bool connectivity = true;  // mDNS, the bootstrap list, connection manager, peer store
  bool dht = true;           // the Kademlia DHT and content routing over it ([dht])
  // false: the caller runs the loop with run_loop() (a daemon's main thread, whose malloc arena
  // gives freed memory back to the system sooner than a thread's).
  bool own_loop_thread = true;
};

// An interrupted export found (and removed, if it could be) at start-up.
struct PartialOutput {
  std::string path;
  bool removed = false;
  std::string error;  // why it could not be removed
};

// What start-up found, for the operator.
struct StartReport {
  std::vector<std::string> listen_addrs;  // with /p2p/<peer id>
  std::vector<PartialOutput> partial_outputs;
  std::string partial_outputs_error;  // the interrupted exports could not be listed
  // The private network's key fingerprint (the repo's swarm.key); empty: a public network.
  std::string private_network;
  // Connectivity (with NodeOptions::connectivity):
  size_t peers_loaded = 0;
  bool mdns_running = false;
  std::string mdns_interface;
  std::string mdns_error;              // why mDNS is off ("" with mdns = false in the config)
  std::string mdns_service;            // the DNS-SD service announced, while mDNS runs
  std::vector<std::string> bootstrap;  // the configured bootstrap peers
  // The DHT (with NodeOptions::dht):
  bool dht_server_mode = false;
  size_t routing_loaded = 0;
  size_t providers_loaded = 0;
  size_t provided_loaded = 0;
  // Bandwidth limits in bytes per second ([limits], daemon --upload-rate/--download-rate); 0: none.
  uint64_t upload_bytes_per_second = 0, download_bytes_per_second = 0;
  uint64_t upload_bytes_per_second_per_peer = 0, download_bytes_per_second_per_peer = 0;
};

// The repo's settings for a local HTTP API in front of this node ([api] in config.toml).
struct ApiSettings {
  std::string address;  // host:port on loopback
  std::string token;    // the bearer token clients must send (api.token)
  ApiLimits limits;
};

struct PingReport {
  std::string peer;
  std::vector<double> rtt_ms;
};

struct ProtectResult {
  std::string peer;
  bool is_protected = false;  // after the change (another tag may still protect the peer)
};

class Node {
 public:
  // Opens the repo, locks it, cleans up interrupted exports, listens, and starts what `options`
  // asks for. Errors: no repo or a bad one, the repo is in use, nothing could be bound.
  static Result<std::unique_ptr<Node>> open(const NodeOptions& options);
  // Closes every connection, stops the loop, and unlocks the repo.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const StartReport& start_report() const;
  const ApiSettings& api_settings() const;
  const std::filesystem::path& repo() const;
  std::string peer_id() const;
  // Closes every connection and stops discovery; calls in flight end with errors. The node stays
  // open (views still answer) until it is destroyed.
  void stop_networking();
  // Without own_loop_thread: runs the node's loop on this thread until stop_loop().
  void run_loop();
  // Ends run_loop() (from any thread); the node's operations must not be called after it.
  void stop_loop();

  // --- Peers and connections
  // peer id, addresses, agent, protocols; `network` (private, fingerprint) and `discovery` (mdns
  // running/interface/service, bootstrap peers, dht mode or null when off)
  Json id();
  Json peers();                // one entry per connection: direction, streams, identify, latency
  Json swarm_limits();         // limits beside use, refusals by scope and limit
  Result<Json> known_peers();  // the peer store; not_found without connectivity
  // {"peer", "addr", "requested", "existing"}: with a connection to that peer open already, it is
  // used ("existing": true, "addr" is its address) and nothing is dialled.
  Result<Json> connect(std::string_view multiaddr);
  // {"peer", "connections_closed"}; not_found when not connected.
  Result<Json> disconnect(std::string_view peer_id);
  // `target`: a multiaddr, or a peer id (its addresses from the peer store, else a DHT lookup).
  Result<PingReport> ping(std::string_view target, int count);
  Result<Json> perf(std::string_view target, uint64_t upload_bytes, uint64_t download_bytes);
  // Whether peers can dial this node: up to `peers_max` connected peers are asked over AutoNAT
  // (`/libp2p/autonat/1.0.0`) to dial it back at its listen addresses, those known to speak it
  // first, at most 8 tried. {"reachable": true (a peer dialled back) | false (every answer was a
  // failed dial) | null (no answer), "status" (reachable, unreachable, unknown), "checked_ns",
  // "probes": [{"peer", "status", "text", "addr"} or {"peer", "error", "code"}]}. id() has the
  // last check's, the node's own periodic ones included ([autonat] check_interval_s).
  Result<Json> reachability(size_t peers_max = 3);
  Result<std::vector<std::string>> bootstrap_list();
  // Whether the list changed; `exists` is not an error for add.
  Result<bool> bootstrap_add(std::string_view multiaddr);
  Result<bool> bootstrap_remove(std::string_view multiaddr);
  Result<ProtectResult> protect(std::string_view peer_id, const std::string& tag, bool protect);

  // --- Content (content_types.h). The long operations (add, fetch, get, cat, ls, pin add) are
  // listed by operations() while they run and stop on their CancelToken (agora/operations.h).
  // They fetch only what they read: a path's blocks one by one, then the DAG under its target.
  // Imports a local file or tree (pinned unless asked not to; provided in the DHT). With
  // options.nocopy the files' leaves stay in the files, referenced (Errc::invalid_input for a
  // profile without raw leaves). `entry`
  // hears of each entry below a directory as it is imported (before the blocks are committed and
  // the root pinned: an add that then fails leaves none of them).
  Result<AddResult> add_path(const std::filesystem::path& path, const AddSettings& options,
                             const AddProgressFn& progress = {}, CancelToken cancel = {},
                             const AddEntryFn& entry = {});
  // Imports one file whose bytes arrive in pieces: write() them, then finish(). Refuses
  // options.nocopy (Errc::invalid_input): there is no file to reference.
  class StreamAdd;
  Result<std::unique_ptr<StreamAdd>> add_stream(const AddSettings& options);
  // Dials `peers` (a dead one is an error naming it), then resolves the content path, fetching
  // only the blocks on the way (providers from the DHT when no peer has them): the CID it names.
  // `file_only`: Errc::invalid_input unless that is a file, saying what it is instead.
  Result<std::string> resolve(std::string_view content_path, const std::vector<std::string>& peers,
                              bool file_only = false, CancelToken cancel = {});
  // resolve(), then fetches the whole DAG under what the path names into the blockstore.
  Result<std::string> fetch(std::string_view content_path, const std::vector<std::string>& peers,
                            CancelToken cancel = {});
  // Checks the destination (absent, its directory writable) before fetching anything, then
  // fetches what the path names and writes it to `request.dest` atomically; cancelled, it leaves
  // nothing there (the blocks fetched stay stored for a resume).
  Result<GetResult> get(const GetRequest& request, const GetProgressFn& progress = {});
  // A file's bytes, in order, as its blocks arrive: blocks not stored are fetched from connected
  // peers while the read goes on.
  // With a W3C `traceparent`, traced (as `cat`), its fetch's requests to peers with it.
  Status read_file(std::string_view cid, const ChunkFn& chunk, CancelToken cancel = {},
                   std::string_view traceparent = {});
  // A directory's entries (or a file as one entry), fetching the directory's blocks and each
  // entry's root block, not what lies below them. `progress` is called once the directory is
  // read and after each batch of entries' blocks is stored.
  Result<Listing> list(std::string_view cid, CancelToken cancel = {},
                       const ListProgressFn& progress = {});
  // resolve() of a file, then read_file(); resolve(), then list().
  Status cat(std::string_view content_path, const std::vector<std::string>& peers,
             const ChunkFn& chunk, CancelToken cancel = {});
  Result<Listing> ls(std::string_view content_path, const std::vector<std::string>& peers,
                     CancelToken cancel = {}, const ListProgressFn& progress = {},
                     std::string_view traceparent = {});
  // fetch(), then pins: the pinned CID. Cancelled, nothing is pinned.
  Result<std::string> pin_add(std::string_view content_path, bool recursive,
                              const std::string& name, const GetProgressFn& progress = {},
                              CancelToken cancel = {});
  Result<std::string> pin_remove(std::string_view cid, const std::optional<std::string>& name,
                                 bool recursive);
  Result<std::vector<PinInfo>> pins();
  // A raw or dag-pb block; Errc::too_large past the blockstore's block limit.
  Result<std::string> block_put(std::span<const uint8_t> block, std::string_view codec, bool pin);
  size_t block_bytes_max() const;
  // Re-hashed before it is returned: a corrupt block is quarantined (a broken file reference
  // dropped, the file untouched) and an io error.
  Result<std::vector<uint8_t>> block_get(std::string_view cid);
  Result<BlockStat> block_stat(std::string_view cid);
  Result<Json> repo_gc();
  Result<Json> repo_verify();
  Result<Json> repo_stat();

  // --- The DHT (not_found without it)
  Result<Json> dht_status();
  Result<Json> dht_table();
  // With a W3C `traceparent` the lookup is traced, each request to a peer a span of it.
  Result<Json> dht_find_peer(std::string_view peer_id, std::string_view traceparent = {});
  Result<Json> dht_find_providers(std::string_view cid, std::string_view traceparent = {});
  Result<Json> dht_get(std::string_view key);  // /pk/<peer id>
  Result<Json> dht_put(std::string_view key, std::span<const uint8_t> value);
  size_t dht_record_value_bytes_max() const;
  // A DHT key: /pk/<peer id>, or for lookups also a peer id or a CID.
  static Status validate_dht_key(std::string_view key, bool record_key);
  // A closest-peers lookup that reports every step ({"peer", "ms", "closer", ...}) as it goes;
  // the result is {"done", "key", "ok", "closest", "stats"}.
  Result<Json> dht_query(std::string_view key, const std::function<void(const Json&)>& step);

  // --- Operations running now, and cancelling one (Errc::not_found when it is not running).
  std::vector<OperationInfo> operations();
  Status cancel_operation(uint64_t id);

  // --- Observing
  // The flight recorder: the newest `limit` events, or the oldest after `since`.
  Json events(std::optional<uint64_t> since, size_t limit);
  std::string metrics_text();  // Prometheus text format, served as kMetricsContentType
  // The same metrics as JSON: {name: {"type", "help", "series": [{"labels", "value"}]}} (a
  // histogram's series have "buckets", "sum" and "count" instead of "value").
  Json metrics_json();
  static constexpr std::string_view kMetricsContentType =
      "text/plain; version=0.0.4; charset=utf-8";
  // --- Traces (docs/tracing.md)
  // The spans this node recorded of trace `trace_id` (32 hex digits), and with `ask_peers` those
  // the peers its requests went to answer over /agora/diag/1.0.0, on this node's clock:
  // {"trace_id", "node", "spans": [span + "node" (who recorded it), "clock_offset_ns"], "peers":
  // [{"peer", "answered", "error", "code", "clock_offset_ns" (measured), "clock_error_ns" (its
  // bound), "clock_offset_applied_ns" (0 when within the bound), "spans", "truncated"}]}.
  // Errc::not_found when no span of it is recorded here.
  Result<Json> trace(std::string_view trace_id, bool ask_peers);
  // The newest traces' top spans here, newest first: {"traces": [span], "spans_dropped"}.
  Json traces(size_t limit);
  // For an embedding application's own components (the HTTP API counts its refusals here).
  void count(const std::string& name, const std::string& help,
             const std::map<std::string, std::string>& labels, uint64_t n = 1);
  // Records a limit_hit event (the recorder folds floods of them into summaries).
  void record_limit_hit(const std::string& protocol, const std::string& reason,
                        const std::string& detail);

  class Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  Status read_file_untraced(std::string_view cid, const ChunkFn& chunk, CancelToken cancel);
  std::unique_ptr<Impl> impl_;
};

class Node::StreamAdd {
 public:
  virtual ~StreamAdd() = default;
  virtual Status write(std::span<const uint8_t> chunk) = 0;
  // The file's root; pinned and provided as AddSettings say.
  virtual Result<AddResult> finish() = 0;
};

}  // namespace agora
