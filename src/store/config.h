// Node configuration (`config.toml` in the repo): what it holds, how it is parsed and validated,
// and how the commented default file is written. Multiaddrs stay text here but are validated with
// Multiaddr::parse so a typo is reported at load time with file:line:column.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agora/api_limits.h"
#include "base/result.h"

namespace agora::store {

// Limits on what remote peers can make us hold. Values must be >= 1 unless noted.
struct Limits {
  size_t connections_max = 512;
  size_t connections_per_peer_max = 4;
  size_t inbound_streams_per_connection_max = 256;
  // Negotiated streams held open at once (the resource manager's scopes), each direction.
  size_t streams_max = 8192;          // all peers and protocols together
  size_t streams_per_peer_max = 256;  // one peer, all its protocols
  // Bytes buffered for streams (queued output, messages being assembled, read buffers).
  uint64_t buffered_bytes_max = uint64_t(1) << 30;            // all peers and protocols together
  uint64_t buffered_bytes_per_peer_max = uint64_t(64) << 20;  // one peer, all its protocols
  size_t pending_dials_max = 64;
  size_t pending_inbound_handshakes_max = 64;
  // Fairness per remote IP and per remote network (/24 IPv4, /64 IPv6).
  size_t pending_inbound_handshakes_per_ip_max = 8;
  size_t pending_inbound_handshakes_per_group_max = 16;
  size_t inbound_connections_per_ip_max = 16;
  size_t inbound_connections_per_group_max = 48;
  size_t outbound_reserve = 32;  // inbound connections stop at connections_max - this; may be 0
  uint32_t dial_timeout_ms = 10000;
  uint32_t handshake_timeout_ms = 10000;
  uint32_t first_bytes_timeout_ms = 3000;  // an inbound connection must speak within this
  // Bandwidth, bytes per second; 0: no limit. The whole node, and each connection (a peer
  // normally holds one). Upload counts what is written to peers, download what is read.
  uint64_t upload_bytes_per_second = 0;
  uint64_t download_bytes_per_second = 0;
  uint64_t upload_bytes_per_second_per_peer = 0;
  uint64_t download_bytes_per_second_per_peer = 0;
  uint32_t idle_timeout_ms = 0;  // 0 = never close idle connections
  bool operator==(const Limits&) const = default;
};

// /perf/1.0.0 ([perf]): a peer asks us to send it N bytes.
struct Perf {
  bool enabled = true;
  uint64_t download_bytes_max = uint64_t(4) << 30;  // the most one request may ask us to send
  uint32_t stall_timeout_ms = 30000;  // a perf stream moving less than 256 KiB in this is reset
  bool operator==(const Perf&) const = default;
};

// AutoNAT v1 ([autonat]): peers ask this node to dial them back.
struct Autonat {
  bool serve = true;  // dial-backs only at the asker's own IP, rate-limited (docs/cli.md)
  // Ask peers to dial this node back every this many seconds (the first check 2 minutes after
  // start, or sooner for a shorter interval); 0: only when asked (swarm reachability, doctor).
  uint32_t check_interval_s = 1800;
  bool operator==(const Autonat&) const = default;
};

// Cross-peer tracing ([trace], docs/tracing.md).
struct Trace {
  size_t spans_max = 16384;  // spans kept by the span recorder (up to ~11 MiB)
  // Of those, spans of streams served to one peer; past it that peer's oldest goes.
  size_t served_spans_per_peer_max = 1024;
  // Answer /agora/diag/1.0.0: a peer may ask for this node's spans of its own requests.
  bool serve_diag = false;
  // Export spans to an OTLP/HTTP collector: http://HOST:PORT/PATH, HOST an IP address or
  // localhost (no TLS, no DNS; checked at load by observe::parse_http_endpoint); "" = off.
  std::string otlp_endpoint;
  uint32_t otlp_interval_ms = 5000;  // between exports; 100 .. 3,600,000
  bool operator==(const Trace&) const = default;
};

// How the node finds peers ([discovery]).
struct Discovery {
  bool mdns = true;  // LAN discovery over multicast DNS
  // IPv4 address of the interface mDNS uses; empty: the first interface that is up,
  // multicast-capable and not loopback (else loopback).
  std::string mdns_interface;
  // Dialled at start and whenever connections fall below the low watermark: multiaddrs ending
  // in /p2p/<peer id>. (A top-level `bootstrap` key, from before [discovery], is read too.)
  std::vector<std::string> bootstrap;
  bool operator==(const Discovery&) const = default;
};

// The connection manager's watermarks ([connections]); limits.connections_max stays the hard cap.
struct Connections {
  size_t low_water = 32;             // below this, dial known peers; may be 0
  size_t high_water = 96;            // above this, trim down to low_water; >= low_water, >= 1
  uint32_t grace_period_ms = 20000;  // a new connection is not trimmed sooner
  bool operator==(const Connections&) const = default;
};

// The peer store's bounds ([peerstore]); it lives in agora.db.
struct PeerStoreLimits {
  size_t peers_max = 1000;
  size_t addrs_per_peer_max = 16;
  bool operator==(const PeerStoreLimits&) const = default;
};

// The Kademlia DHT ([dht]).
struct Dht {
  // "server": answer DHT requests and advertise /ipfs/kad/1.0.0, so peers add us to their routing
  // tables. "client": only ask. "auto": server whenever the node listens on some address
  // (loopback too). `agora swarm reachability` tells whether peers can dial it (AutoNAT), but
  // "auto" does not follow that answer yet, so a node behind NAT should say "client".
  std::string mode = "auto";
  // What `agora add` announces as provided: "roots" (the CID add prints) or "all" (every block).
  std::string provide = "roots";
  // Also announce the root of a file fetched over xfer, once its skeleton is stored (before its
  // leaves): the peers fetching it at the same time find each other and trade leaves.
  bool provide_fetched = true;
  // Provider records other peers may store here (ADD_PROVIDER), and what one peer or one IP
  // group (/24 IPv4, /64 IPv6) may hold or send; see docs/architecture.md "Provider store
  // limits" for what each defends against.
  size_t provider_records_max = 65536;
  size_t provider_records_per_peer_max = 4096;
  size_t provider_records_per_ip_group_max = 8192;
  size_t add_provider_rate_per_s = 100;  // entries per peer, refilled continuously
  size_t add_provider_burst = 1000;
  size_t provider_overflows_before_ban = 10000;  // refused entries in 10 min; 0 = never ban
  size_t provider_ban_s = 3600;                  // how long such a peer is refused
  bool operator==(const Dht&) const = default;
};

// The local HTTP API's defences ([api]) are stated by the public API: include/agora/api_limits.h.
using agora::ApiLimits;  // include/agora/api_limits.h: the public API states them

struct Config {
  std::vector<std::string> listen = {"/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"};
  std::string api_address = "127.0.0.1:5001";  // host:port of the local HTTP API
  ApiLimits api;
  Limits limits;
  Discovery discovery;
  Connections connections;
  PeerStoreLimits peerstore;
  Dht dht;
  Perf perf;
  Autonat autonat;
  Trace trace;
  size_t event_buffer_max = 4096;  // events kept by the flight recorder, per subsystem
  // Repeats of one refusal kind within this window become one summary event; 0 records each.
  uint64_t event_summary_window_ms = 1000;
  bool noise_inline_muxer = true;  // offer the muxer inside the Noise handshake
  bool operator==(const Config&) const = default;
};

inline constexpr size_t kConfigFileBytesMax = 1 << 20;
inline constexpr uint64_t kEventSummaryWindowMsMax = 3'600'000;  // an hour: longer hides too much

// Parses TOML text. `source_name` prefixes errors: "<source_name>:<line>:<col>: <what>".
// Missing keys keep their defaults; unknown keys are an error (they are usually typos).
Result<Config> parse_config(std::string_view toml_text, std::string_view source_name);
// Reads and parses a file; errors are prefixed with the path as given.
Result<Config> load_config(const std::filesystem::path& path);

// Checks values a parsed Config must satisfy (also used for command-line overrides).
Status validate_listen_addr(std::string_view multiaddr);
Status validate_bootstrap_addr(std::string_view multiaddr);
Status validate_api_address(std::string_view host_port);
Status validate_ipv4_address(std::string_view text);

// Returns `toml_text` with the bootstrap list set to `bootstrap`, everything else (comments,
// order, other keys) left as it was: the list is replaced where it stands ([discovery], or the
// old top-level key), or added to [discovery], or a [discovery] table is appended. The result is
// parsed again and must read back as the old config with the new list; when it does not (a
// layout this edit cannot handle, such as an inline [discovery] table) the error says to edit
// the file by hand.
Result<std::string> set_bootstrap_in_config(std::string_view toml_text,
                                            std::string_view source_name,
                                            const std::vector<std::string>& bootstrap);

// A complete TOML file for `config`: every key, each with a comment saying what it does and its
// default. parse_config(render_default_config(c)) == c.
std::string render_default_config(const Config& config);

}  // namespace agora::store
