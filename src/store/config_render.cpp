// The commented default config.toml (render_default_config): every key with its comment and its
// default, each value the given Config's.
#include <string>

#include "store/config.h"
#include "store/config_text.h"

namespace agora::store {

namespace {

std::string toml_bool(bool b) { return b ? "true" : "false"; }

// [api]: the local API's defences against a client that would starve it (docs/api.md).
template <class Key>
void render_api(const ApiLimits& a, Key& key, std::string& out) {
  const ApiLimits d;
  auto num = [](auto v) { return std::to_string(v); };
  out +=
      "# The local API's defences against a local client that would starve it (docs/api.md).\n"
      "[api]\n\n";
  key("Milliseconds a client has to send a request's whole header block; a slower one is cut\n"
      "# off. No worker thread waits on a header that is still arriving.",
      "header_timeout_ms", num(a.header_timeout_ms), num(d.header_timeout_ms));
  key("Milliseconds a request body may stall, or a response wait for its reader.",
      "body_timeout_ms", num(a.body_timeout_ms), num(d.body_timeout_ms));
  key("Connections still sending their header block, on each listener (the TCP port and the\n"
      "# Unix socket); a connection whose request has arrived no longer counts.",
      "connections_max", num(a.connections_max), num(d.connections_max));
  key("Of those, from one client: one source address on TCP (every local user shares\n"
      "# 127.0.0.1), one user id on the Unix socket.",
      "connections_per_client_max", num(a.connections_per_client_max),
      num(d.connections_per_client_max));
  key("Threads serving short calls (id, swarm peers, events, metrics, ...).", "workers",
      num(a.workers), num(d.workers));
  key("Threads serving long calls (add, cat, get, ping, perf, connect, dht queries, ...).",
      "long_workers", num(a.long_workers), num(d.long_workers));
  key("Complete requests waiting for a thread, per pool; past this a call is refused (503).",
      "queue_max", num(a.queue_max), num(d.queue_max));
  key("Also serve the API on <repo>/api.sock (mode 0600), which the CLI prefers.", "unix_socket",
      toml_bool(a.unix_socket), toml_bool(d.unix_socket));
}

// [discovery], [connections] and [peerstore]; `key` writes one commented key.
template <class Key>
void render_connectivity(const Config& c, Key& key, std::string& out) {
  const Config d;
  auto num = [](auto v) { return std::to_string(v); };
  out += "# How this node finds peers.\n[discovery]\n\n";
  key("Find peers on the local network with multicast DNS (the libp2p mDNS spec).", "mdns",
      toml_bool(c.discovery.mdns), toml_bool(d.discovery.mdns));
  key("IPv4 address of the interface mDNS uses; \"\" = the first one that is up,\n"
      "# multicast-capable and not loopback (else loopback).",
      "mdns_interface", toml_quote(c.discovery.mdns_interface),
      toml_quote(d.discovery.mdns_interface));
  key("Peers dialled at startup and whenever connections fall below connections.low_water:\n"
      "# multiaddrs ending in /p2p/<peer id>. `agora bootstrap add|rm` edits this list.",
      "bootstrap", toml_array(c.discovery.bootstrap), toml_array(d.discovery.bootstrap));
  out +=
      "# The connection manager keeps the number of open connections between two watermarks.\n"
      "[connections]\n\n";
  key("Below this many connections, dial known peers (bootstrap peers first); 0 = never.",
      "low_water", num(c.connections.low_water), num(d.connections.low_water));
  key("Above this many, close the least useful connections down to low_water. Protected\n"
      "# peers and connections younger than grace_period_ms are never closed.",
      "high_water", num(c.connections.high_water), num(d.connections.high_water));
  key("Milliseconds a new connection is safe from trimming.", "grace_period_ms",
      num(c.connections.grace_period_ms), num(d.connections.grace_period_ms));
  out +=
      "# The peer store in agora.db: addresses, protocols, last seen and latency of known peers.\n"
      "[peerstore]\n\n";
  key("Peers kept; past this the least recently seen unconnected peer is forgotten.", "peers_max",
      num(c.peerstore.peers_max), num(d.peerstore.peers_max));
  key("Addresses kept per peer; past this the least recently seen goes.", "addrs_per_peer_max",
      num(c.peerstore.addrs_per_peer_max), num(d.peerstore.addrs_per_peer_max));
  out += "# The Kademlia DHT (/ipfs/kad/1.0.0): finds peers and content providers.\n[dht]\n\n";
  key("\"server\" answers DHT requests (peers put us in their routing tables), \"client\" only\n"
      "# asks. \"auto\" = server whenever the node listens; agora cannot yet check it is "
      "reachable,\n"
      "# so a node behind NAT should say \"client\".",
      "mode", toml_quote(c.dht.mode), toml_quote(d.dht.mode));
  key("What `agora add` announces: \"roots\" (the CID add prints) or \"all\" (every block).",
      "provide", toml_quote(c.dht.provide), toml_quote(d.dht.provide));
  key("Announce the root of a file fetched over xfer as soon as its skeleton is stored, so\n"
      "# peers fetching it at the same time find this node and trade leaves with it.",
      "provide_fetched", toml_bool(c.dht.provide_fetched), toml_bool(d.dht.provide_fetched));
  key("Provider records (ADD_PROVIDER) kept for other peers; when full, the oldest record of\n"
      "# the largest contributor (IP group, then peer) makes room for a newcomer.",
      "provider_records_max", num(c.dht.provider_records_max), num(d.dht.provider_records_max));
  key("Records one peer may hold; past it its new ones are refused (an overflow).",
      "provider_records_per_peer_max", num(c.dht.provider_records_per_peer_max),
      num(d.dht.provider_records_per_peer_max));
  key("Records one IP group (/24 IPv4, /64 IPv6) may hold: many identities on one network\n"
      "# share it; past it the group's largest peer loses its oldest record.",
      "provider_records_per_ip_group_max", num(c.dht.provider_records_per_ip_group_max),
      num(d.dht.provider_records_per_ip_group_max));
  key("ADD_PROVIDER entries one peer may send per second (token bucket), and its burst.",
      "add_provider_rate_per_s", num(c.dht.add_provider_rate_per_s),
      num(d.dht.add_provider_rate_per_s));
  key("Entries a peer may send at once before the rate applies.", "add_provider_burst",
      num(c.dht.add_provider_burst), num(d.dht.add_provider_burst));
  key("Entries refused to one peer (rate or quota) within 10 minutes before it is\n"
      "# disconnected and banned; 0 = never ban.",
      "provider_overflows_before_ban", num(c.dht.provider_overflows_before_ban),
      num(d.dht.provider_overflows_before_ban));
  key("Seconds such a peer stays banned.", "provider_ban_s", num(c.dht.provider_ban_s),
      num(d.dht.provider_ban_s));
}

}  // namespace

std::string render_default_config(const Config& c) {
  const Config d;
  const Limits& l = c.limits;
  const Limits& dl = d.limits;
  auto num = [](auto v) { return std::to_string(v); };
  std::string out;
  auto key = [&out](const std::string& comment, const std::string& name, const std::string& value,
                    const std::string& default_value) {
    out += "# " + comment + "\n# Default: " + default_value + "\n" + name + " = " + value + "\n\n";
  };
  out +=
      "# agora node configuration (TOML). Every key is optional: a missing key takes the default\n"
      "# shown in its comment. Unknown keys are an error, so typos do not go unnoticed.\n\n";
  key("Multiaddrs to accept peer connections on.", "listen", toml_array(c.listen),
      toml_array(d.listen));
  key("host:port of the local HTTP API (token in api.token). Keep it on loopback.", "api_address",
      toml_quote(c.api_address), toml_quote(d.api_address));
  key("Recent events kept per flight-recorder ring (one ring per subsystem).", "event_buffer_max",
      num(c.event_buffer_max), num(d.event_buffer_max));
  key("Repeats of one refusal (limit hit, failed handshake, bad input) within this many ms are "
      "one\n# summary event with a count, so floods cannot push other events out; 0 records "
      "each.",
      "event_summary_window_ms", num(c.event_summary_window_ms), num(d.event_summary_window_ms));
  key("Offer the stream muxer inside the Noise handshake (saves a round trip).",
      "noise_inline_muxer", toml_bool(c.noise_inline_muxer), toml_bool(d.noise_inline_muxer));
  render_api(c.api, key, out);
  out += "# Limits on what remote peers can make this node hold.\n[limits]\n\n";
  key("Open connections, all peers together.", "connections_max", num(l.connections_max),
      num(dl.connections_max));
  key("Open connections to one peer.", "connections_per_peer_max", num(l.connections_per_peer_max),
      num(dl.connections_per_peer_max));
  key("Streams a remote peer may open on one connection.", "inbound_streams_per_connection_max",
      num(l.inbound_streams_per_connection_max), num(dl.inbound_streams_per_connection_max));
  key("Streams open at once, each direction, all peers and protocols together (a stream past it\n"
      "# is reset, or fails to open; agora swarm limits shows the use).",
      "streams_max", num(l.streams_max), num(dl.streams_max));
  key("Streams open at once with one peer, each direction, all its protocols together.",
      "streams_per_peer_max", num(l.streams_per_peer_max), num(dl.streams_per_peer_max));
  key("Bytes buffered for streams (output queued for peers, messages being received, read\n"
      "# buffers), all peers and protocols together; a stream that would go past it is reset.",
      "buffered_bytes_max", num(l.buffered_bytes_max), num(dl.buffered_bytes_max));
  key("Of those, for one peer, all its protocols together.", "buffered_bytes_per_peer_max",
      num(l.buffered_bytes_per_peer_max), num(dl.buffered_bytes_per_peer_max));
  key("Outgoing dials in progress at once.", "pending_dials_max", num(l.pending_dials_max),
      num(dl.pending_dials_max));
  key("Incoming connections still in their security/muxer handshake.",
      "pending_inbound_handshakes_max", num(l.pending_inbound_handshakes_max),
      num(dl.pending_inbound_handshakes_max));
  key("Of those, from one remote IP address.", "pending_inbound_handshakes_per_ip_max",
      num(l.pending_inbound_handshakes_per_ip_max), num(dl.pending_inbound_handshakes_per_ip_max));
  key("Of those, from one remote network (/24 IPv4, /64 IPv6).",
      "pending_inbound_handshakes_per_group_max", num(l.pending_inbound_handshakes_per_group_max),
      num(dl.pending_inbound_handshakes_per_group_max));
  key("Incoming connections (open or in their handshake) from one remote IP address.",
      "inbound_connections_per_ip_max", num(l.inbound_connections_per_ip_max),
      num(dl.inbound_connections_per_ip_max));
  key("Incoming connections from one remote network (/24 IPv4, /64 IPv6).",
      "inbound_connections_per_group_max", num(l.inbound_connections_per_group_max),
      num(dl.inbound_connections_per_group_max));
  key("Connections kept free for the ones this node makes: incoming connections stop at\n"
      "# connections_max minus this (a newcomer then replaces the youngest connection of the\n"
      "# most represented network).",
      "outbound_reserve", num(l.outbound_reserve), num(dl.outbound_reserve));
  key("Milliseconds before a dial attempt gives up.", "dial_timeout_ms", num(l.dial_timeout_ms),
      num(dl.dial_timeout_ms));
  key("Milliseconds a connection may spend in its handshake.", "handshake_timeout_ms",
      num(l.handshake_timeout_ms), num(dl.handshake_timeout_ms));
  key("Milliseconds an incoming connection may stay silent before its first bytes.",
      "first_bytes_timeout_ms", num(l.first_bytes_timeout_ms), num(dl.first_bytes_timeout_ms));
  key("Milliseconds without open streams before a connection is closed; 0 = never.",
      "idle_timeout_ms", num(l.idle_timeout_ms), num(dl.idle_timeout_ms));
  key("Bytes per second this node may send to all peers together; 0 = no limit. Also\n"
      "# `agora daemon --upload-rate`.",
      "upload_bytes_per_second", num(l.upload_bytes_per_second), num(dl.upload_bytes_per_second));
  key("Bytes per second this node may read from all peers together; 0 = no limit. Also\n"
      "# `agora daemon --download-rate`.",
      "download_bytes_per_second", num(l.download_bytes_per_second),
      num(dl.download_bytes_per_second));
  key("Bytes per second to one connection (a peer normally holds one); 0 = no limit.",
      "upload_bytes_per_second_per_peer", num(l.upload_bytes_per_second_per_peer),
      num(dl.upload_bytes_per_second_per_peer));
  key("Bytes per second from one connection; 0 = no limit.", "download_bytes_per_second_per_peer",
      num(l.download_bytes_per_second_per_peer), num(dl.download_bytes_per_second_per_peer));
  render_connectivity(c, key, out);
  out +=
      "# /perf/1.0.0: peers measure throughput by asking this node to send them bytes.\n[perf]\n\n";
  key("Answer /perf/1.0.0 requests.", "enabled", toml_bool(c.perf.enabled),
      toml_bool(d.perf.enabled));
  key("The most bytes one request may ask this node to send.", "download_bytes_max",
      num(c.perf.download_bytes_max), num(d.perf.download_bytes_max));
  key("Milliseconds a perf stream may take to move 256 KiB (its peer stopped reading, or "
      "trickles).",
      "stall_timeout_ms", num(c.perf.stall_timeout_ms), num(d.perf.stall_timeout_ms));
  out +=
      "# AutoNAT (/libp2p/autonat/1.0.0): peers learn whether they can be reached.\n[autonat]\n\n";
  key("Dial peers back when they ask (only at the IP they connect from, rate-limited).", "serve",
      toml_bool(c.autonat.serve), toml_bool(d.autonat.serve));
  key("Seconds between this node's own checks that peers can dial it back (the first 2 minutes "
      "after\n# start); 0 = only when asked.",
      "check_interval_s", num(c.autonat.check_interval_s), num(d.autonat.check_interval_s));
  out += "# Cross-peer tracing (docs/tracing.md).\n[trace]\n\n";
  key("Spans kept (operations, requests made and served), a few hundred bytes each.", "spans_max",
      num(c.trace.spans_max), num(d.trace.spans_max));
  key("Of those, spans of streams served to one peer; past it, its oldest makes room.",
      "served_spans_per_peer_max", num(c.trace.served_spans_per_peer_max),
      num(d.trace.served_spans_per_peer_max));
  key("Answer /agora/diag/1.0.0: peers may ask for this node's spans of their own requests.",
      "serve_diag", toml_bool(c.trace.serve_diag), toml_bool(d.trace.serve_diag));
  key("Also send the spans to an OTLP/HTTP collector: \"http://HOST:PORT/PATH\" (OTLP/JSON),\n"
      "# HOST an IP address or localhost (no TLS, no DNS); \"\" = off.",
      "otlp_endpoint", toml_quote(c.trace.otlp_endpoint), toml_quote(d.trace.otlp_endpoint));
  key("Milliseconds between exports (100 .. 3600000); failures back off up to 60 s.",
      "otlp_interval_ms", num(c.trace.otlp_interval_ms), num(d.trace.otlp_interval_ms));
  out.pop_back();  // one trailing newline, not a blank line
  return out;
}

}  // namespace agora::store
