#include "store/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/test_dir.h"

namespace agora::store {
namespace {

std::string error_of(std::string_view text) {
  auto r = parse_config(text, "config.toml");
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().message;
}

TEST(Config, EmptyFileGivesDefaults) {
  auto c = parse_config("", "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(*c, Config{});
}

TEST(Config, ParsesEveryKey) {
  auto c = parse_config(R"(
listen = ["/ip4/127.0.0.1/tcp/0"]
api_address = "[::1]:5002"
event_buffer_max = 16
event_summary_window_ms = 250
noise_inline_muxer = false

[limits]
connections_max = 10
connections_per_peer_max = 2
inbound_streams_per_connection_max = 8
streams_max = 100
streams_per_peer_max = 9
buffered_bytes_max = 500000000
buffered_bytes_per_peer_max = 7000000
pending_dials_max = 3
pending_inbound_handshakes_max = 5
dial_timeout_ms = 1500
handshake_timeout_ms = 2500
idle_timeout_ms = 60000

[discovery]
mdns = false
mdns_interface = "192.168.1.7"
bootstrap = ["/ip4/1.2.3.4/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"]

[connections]
low_water = 0
high_water = 3
grace_period_ms = 0

[peerstore]
peers_max = 7
addrs_per_peer_max = 2
)",
                        "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->listen, std::vector<std::string>{"/ip4/127.0.0.1/tcp/0"});
  EXPECT_EQ(c->api_address, "[::1]:5002");
  ASSERT_EQ(c->discovery.bootstrap.size(), 1u);
  EXPECT_FALSE(c->discovery.mdns);
  EXPECT_EQ(c->discovery.mdns_interface, "192.168.1.7");
  EXPECT_EQ(c->connections, (Connections{.low_water = 0, .high_water = 3, .grace_period_ms = 0}));
  EXPECT_EQ(c->peerstore, (PeerStoreLimits{.peers_max = 7, .addrs_per_peer_max = 2}));
  EXPECT_EQ(c->event_buffer_max, 16u);
  EXPECT_EQ(c->event_summary_window_ms, 250u);
  EXPECT_FALSE(c->noise_inline_muxer);
  EXPECT_EQ(c->limits.connections_max, 10u);
  EXPECT_EQ(c->limits.connections_per_peer_max, 2u);
  EXPECT_EQ(c->limits.inbound_streams_per_connection_max, 8u);
  EXPECT_EQ(c->limits.streams_max, 100u);
  EXPECT_EQ(c->limits.streams_per_peer_max, 9u);
  EXPECT_EQ(c->limits.buffered_bytes_max, 500000000u);
  EXPECT_EQ(c->limits.buffered_bytes_per_peer_max, 7000000u);
  EXPECT_EQ(c->limits.pending_dials_max, 3u);
  EXPECT_EQ(c->limits.pending_inbound_handshakes_max, 5u);
  EXPECT_EQ(c->limits.dial_timeout_ms, 1500u);
  EXPECT_EQ(c->limits.handshake_timeout_ms, 2500u);
  EXPECT_EQ(c->limits.idle_timeout_ms, 60000u);
}

TEST(Config, BadMultiaddrNamesFileLineColumnAndIndex) {
  std::string e = error_of(
      "# comment\n"
      "listen = [\"/ip4/0.0.0.0/tcp/4001\",\n"
      "          \"/ip4/0.0.0.0/tpc/4001\"]\n");
  EXPECT_EQ(e.rfind("config.toml:3:11: listen[1]: multiaddr: ", 0), 0u) << e;
  EXPECT_EQ(e.find("multiaddr: multiaddr:"), std::string::npos) << e;
  EXPECT_NE(e.find("tpc"), std::string::npos) << e;
}

TEST(Config, SyntaxErrorNamesLine) {
  std::string e = error_of("listen = [\n\napi_address = 5\n");
  EXPECT_EQ(e.rfind("config.toml:3:", 0), 0u) << e;
}

TEST(Config, AdmissionAndPerfKeys) {
  auto c = parse_config(
      "[limits]\ninbound_connections_per_ip_max = 3\noutbound_reserve = 0\n"
      "first_bytes_timeout_ms = 500\n[perf]\nenabled = false\ndownload_bytes_max = 10\n"
      "stall_timeout_ms = 2000\n",
      "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->limits.inbound_connections_per_ip_max, 3u);
  EXPECT_EQ(c->limits.outbound_reserve, 0u);
  EXPECT_EQ(c->limits.first_bytes_timeout_ms, 500u);
  EXPECT_FALSE(c->perf.enabled);
  EXPECT_EQ(c->perf.download_bytes_max, 10u);
  EXPECT_EQ(c->perf.stall_timeout_ms, 2000u);
  EXPECT_NE(error_of("[limits]\ninbound_connections_per_ip_max = 0\n").find("per_ip_max"),
            std::string::npos);
  EXPECT_NE(error_of("[perf]\nspeed = 1\n").find("unknown key 'perf.speed'"), std::string::npos);
  EXPECT_NE(error_of("[trace]\nspans = 1\n").find("unknown key 'trace.spans'"), std::string::npos);
  EXPECT_NE(error_of("[trace]\nspans_max = 0\n").find("trace.spans_max"), std::string::npos);
  EXPECT_NE(error_of("[trace]\nserve_diag = 1\n").find("trace.serve_diag"), std::string::npos);
}

TEST(Config, AutonatServeKey) {
  EXPECT_TRUE(parse_config("", "config.toml")->autonat.serve);
  EXPECT_EQ(parse_config("", "config.toml")->autonat.check_interval_s, 1800u);
  auto c = parse_config("[autonat]\nserve = false\ncheck_interval_s = 0\n", "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_FALSE(c->autonat.serve);
  EXPECT_EQ(c->autonat.check_interval_s, 0u);
  EXPECT_NE(error_of("[autonat]\nserve = 1\n").find("autonat.serve"), std::string::npos);
  EXPECT_NE(error_of("[autonat]\ndial = true\n").find("unknown key 'autonat.dial'"),
            std::string::npos);
}

TEST(Config, TraceExportKeysAreCheckedAtLoad) {
  auto c = parse_config(
      "[trace]\nserved_spans_per_peer_max = 8\notlp_endpoint = "
      "\"http://127.0.0.1:4318/v1/traces\"\n"
      "otlp_interval_ms = 100\n",
      "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->trace.served_spans_per_peer_max, 8u);
  EXPECT_EQ(c->trace.otlp_endpoint, "http://127.0.0.1:4318/v1/traces");
  EXPECT_EQ(c->trace.otlp_interval_ms, 100u);
  for (const char* ok : {"http://localhost:4318/v1/traces", "http://[::1]:4318/v1/traces", ""})
    EXPECT_TRUE(parse_config(std::string("[trace]\notlp_endpoint = \"") + ok + "\"\n", "c")) << ok;
  auto endpoint_error = [](const std::string& url) {
    return error_of("[trace]\notlp_endpoint = \"" + url + "\"\n");
  };
  EXPECT_NE(endpoint_error("https://127.0.0.1:4318/v1/traces").find("no TLS"), std::string::npos);
  EXPECT_NE(endpoint_error("http://collector:4318/v1/traces").find("no DNS"), std::string::npos);
  EXPECT_NE(endpoint_error("http://127.0.0.1/v1/traces").find("needs a port"), std::string::npos);
  EXPECT_NE(endpoint_error("http://127.0.0.1:4318").find("needs a path"), std::string::npos);
  std::string e = endpoint_error("http://127.0.0.1:99999/v1/traces");
  EXPECT_EQ(e.rfind("config.toml:2:17: trace.otlp_endpoint: ", 0), 0u) << e;
  EXPECT_NE(error_of("[trace]\notlp_interval_ms = 99\n").find("trace.otlp_interval_ms"),
            std::string::npos);
  EXPECT_NE(error_of("[trace]\notlp_interval_ms = 3600001\n").find("out of range"),
            std::string::npos);
  EXPECT_NE(error_of("[trace]\nserved_spans_per_peer_max = 0\n").find("served_spans_per_peer"),
            std::string::npos);
}

TEST(Config, UnknownKeysAreErrors) {
  std::string e = error_of("listen = []\nlisten_addrs = []\n");
  EXPECT_EQ(
      e,
      "config.toml:2:1: unknown key 'listen_addrs' (known keys: listen, api_address, "
      "event_buffer_max, event_summary_window_ms, noise_inline_muxer, api, limits, discovery, "
      "connections, peerstore, dht, perf, autonat, trace)");
  e = error_of("[limits]\nconnection_max = 3\n");
  EXPECT_EQ(e,
            "config.toml:2:1: unknown key 'limits.connection_max' (did you mean "
            "'connections_max'?)");
  e = error_of("[limit]\n");
  EXPECT_NE(e.find("unknown key 'limit' (did you mean 'limits'?)"), std::string::npos) << e;
}

TEST(Config, RangeAndTypeErrors) {
  std::string e = error_of("[limits]\nconnections_max = -1\n");
  EXPECT_EQ(e.rfind("config.toml:2:19: limits.connections_max: -1 is out of range", 0), 0u) << e;
  e = error_of("[limits]\ndial_timeout_ms = 0\n");
  EXPECT_NE(e.find("limits.dial_timeout_ms: 0 is out of range"), std::string::npos) << e;
  e = error_of("[limits]\ndial_timeout_ms = 4294967296\n");
  EXPECT_NE(e.find("out of range (1..4294967295)"), std::string::npos) << e;
  e = error_of("event_summary_window_ms = 3600001\n");
  EXPECT_NE(e.find("event_summary_window_ms: 3600001 is out of range (0..3600000)"),
            std::string::npos)
      << e;
  e = error_of("[limits]\nhandshake_timeout_ms = 1.5\n");
  EXPECT_NE(e.find("expected an integer, found a float"), std::string::npos) << e;
  e = error_of("listen = \"/ip4/0.0.0.0/tcp/1\"\n");
  EXPECT_EQ(e.rfind("config.toml:1:10: listen: expected an array of strings, found a string", 0),
            0u)
      << e;
  e = error_of("listen = [1]\n");
  EXPECT_NE(e.find("listen[0]: expected a string, found an integer"), std::string::npos) << e;
  e = error_of("noise_inline_muxer = \"yes\"\n");
  EXPECT_NE(e.find("noise_inline_muxer: expected true or false"), std::string::npos) << e;
  e = error_of("limits = 3\n");
  EXPECT_NE(e.find("limits: expected a table"), std::string::npos) << e;
  auto ok = parse_config("[limits]\nidle_timeout_ms = 0\n", "config.toml");
  EXPECT_TRUE(ok.ok());
}

TEST(Config, ValidatesAddresses) {
  EXPECT_TRUE(validate_api_address("127.0.0.1:5001").ok());
  EXPECT_TRUE(validate_api_address("[::1]:0").ok());
  EXPECT_FALSE(validate_api_address("127.0.0.1").ok());
  EXPECT_FALSE(validate_api_address("127.0.0.1:65536").ok());
  EXPECT_FALSE(validate_api_address("localhost:5001").ok());
  EXPECT_FALSE(validate_api_address("::1:5001").ok());
  EXPECT_FALSE(validate_api_address("127.0.0.1:50x1").ok());
  EXPECT_FALSE(validate_api_address(std::string_view("127.0.0.1\0junk:5001", 19)).ok());
  std::string e = error_of("api_address = \"127.0.0.1\"\n");
  EXPECT_EQ(e.rfind("config.toml:1:15: api_address: ", 0), 0u) << e;
  e = error_of("bootstrap = [\"/ip4/1.2.3.4/tcp/4001\"]\n");
  EXPECT_NE(e.find("bootstrap[0]: a bootstrap address must end with /p2p/"), std::string::npos)
      << e;
  e = error_of(
      "listen = [\"/ip4/1.2.3.4/tcp/4001/p2p/"
      "QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN\"]\n");
  EXPECT_NE(e.find("listen[0]: a listen address must not contain /p2p/"), std::string::npos) << e;
}

TEST(Config, DefaultRendersAndReparses) {
  std::string text = render_default_config(Config{});
  auto c = parse_config(text, "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string() << "\n" << text;
  EXPECT_EQ(*c, Config{});
  // Every key is documented with its default.
  for (const char* key : {"listen",
                          "api_address",
                          "bootstrap",
                          "event_buffer_max",
                          "event_summary_window_ms",
                          "noise_inline_muxer",
                          "connections_max",
                          "connections_per_peer_max",
                          "inbound_streams_per_connection_max",
                          "streams_max",
                          "streams_per_peer_max",
                          "buffered_bytes_max",
                          "buffered_bytes_per_peer_max",
                          "pending_dials_max",
                          "pending_inbound_handshakes_max",
                          "dial_timeout_ms",
                          "handshake_timeout_ms",
                          "idle_timeout_ms",
                          "mdns",
                          "mdns_interface",
                          "low_water",
                          "high_water",
                          "grace_period_ms",
                          "peers_max",
                          "addrs_per_peer_max",
                          "served_spans_per_peer_max",
                          "otlp_endpoint",
                          "otlp_interval_ms"}) {
    size_t at = text.find("\n" + std::string(key) + " = ");
    ASSERT_NE(at, std::string::npos) << key;
    size_t comment = text.rfind("# Default: ", at);
    ASSERT_NE(comment, std::string::npos) << key;
    EXPECT_EQ(text.find('\n', comment), at) << key << ": comment must sit right above the key";
  }
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(text[text.size() - 2], '\n');
}

TEST(Config, NonDefaultRendersAndReparses) {
  Config c;
  c.listen = {"/ip4/127.0.0.1/tcp/0"};
  c.api_address = "127.0.0.1:0";
  c.discovery.bootstrap = {
      "/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"};
  c.discovery.mdns = false;
  c.discovery.mdns_interface = "10.0.0.1";
  c.connections = {.low_water = 1, .high_water = 2, .grace_period_ms = 3};
  c.peerstore = {.peers_max = 4, .addrs_per_peer_max = 5};
  c.limits.idle_timeout_ms = 30000;
  c.limits.connections_max = 7;
  c.event_buffer_max = 99;
  c.event_summary_window_ms = 0;
  c.noise_inline_muxer = false;
  c.api = {.header_timeout_ms = 1,
           .body_timeout_ms = 2,
           .connections_max = 3,
           .connections_per_client_max = 4,
           .workers = 5,
           .long_workers = 6,
           .queue_max = 7,
           .unix_socket = false};
  c.trace = {.spans_max = 10,
             .served_spans_per_peer_max = 3,
             .serve_diag = true,
             .otlp_endpoint = "http://[::1]:4318/v1/traces",
             .otlp_interval_ms = 250};
  std::string text = render_default_config(c);
  auto back = parse_config(text, "config.toml");
  ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << text;
  EXPECT_EQ(*back, c);
  EXPECT_NE(text.find("# Default: [\"/ip4/0.0.0.0/tcp/4001\", \"/ip6/::/tcp/4001\"]"),
            std::string::npos);
}

TEST(Config, ApiLimitsParseAndRefuseZero) {
  auto c = parse_config("[api]\nheader_timeout_ms = 250\nconnections_per_client_max = 2\n",
                        "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->api.header_timeout_ms, 250u);
  EXPECT_EQ(c->api.connections_per_client_max, 2u);
  EXPECT_EQ(c->api.workers, ApiLimits{}.workers);
  EXPECT_EQ(error_of("[api]\nworkers = 0\n").rfind("config.toml:2:11: api.workers: 0 is out", 0),
            0u);
  EXPECT_NE(error_of("[api]\nheader_timeout = 1\n").find("did you mean 'header_timeout_ms'"),
            std::string::npos);
}

TEST(Config, ConnectivityErrors) {
  std::string e = error_of("[connections]\nlow_water = 10\nhigh_water = 5\n");
  EXPECT_EQ(e, "config.toml:1:1: connections: low_water (10) must not be above high_water (5)");
  e = error_of("[connections]\nhigh_water = 0\n");
  EXPECT_NE(e.find("connections.high_water: 0 is out of range"), std::string::npos) << e;
  e = error_of("[discovery]\nmdns_interface = \"eth0\"\n");
  EXPECT_EQ(e, "config.toml:2:18: discovery.mdns_interface: 'eth0' is not an IPv4 address");
  e = error_of("[discovery]\nmdsn = true\n");
  EXPECT_NE(e.find("unknown key 'discovery.mdsn' (did you mean 'mdns'?)"), std::string::npos) << e;
  e = error_of("discovery = 1\n");
  EXPECT_NE(e.find("discovery: expected a table ([discovery])"), std::string::npos) << e;
  e = error_of("[peerstore]\npeers_max = 0\n");
  EXPECT_NE(e.find("peerstore.peers_max: 0 is out of range"), std::string::npos) << e;
}

TEST(Config, TopLevelBootstrapIsStillRead) {
  const std::string peer =
      "/ip4/1.2.3.4/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN";
  auto c = parse_config("bootstrap = [\"" + peer + "\"]\n", "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->discovery.bootstrap, std::vector<std::string>{peer});
  std::string e = error_of("bootstrap = []\n[discovery]\nbootstrap = []\n");
  EXPECT_NE(e.find("config.toml:3:1: bootstrap is set both at the top level and in [discovery]"),
            std::string::npos)
      << e;
}

const std::string kPeerA =
    "/ip4/1.2.3.4/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN";
const std::string kPeerB =
    "/ip6/::1/tcp/4002/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf";

std::vector<std::string> bootstrap_of(const std::string& text) {
  auto c = parse_config(text, "config.toml");
  EXPECT_TRUE(c.ok()) << c.error().to_string() << "\n" << text;
  return c.ok() ? c->discovery.bootstrap : std::vector<std::string>{};
}

TEST(Config, SetBootstrapKeepsTheRestOfTheFile) {
  // The generated file: the list is replaced where it stands, every comment kept.
  std::string text = render_default_config(Config{});
  auto edited = set_bootstrap_in_config(text, "config.toml", {kPeerA, kPeerB});
  ASSERT_TRUE(edited.ok()) << edited.error().to_string();
  EXPECT_EQ(bootstrap_of(*edited), (std::vector<std::string>{kPeerA, kPeerB}));
  std::string expected = text;
  expected.replace(expected.find("\nbootstrap = []") + 1, 14,
                   "bootstrap = [\"" + kPeerA + "\", \"" + kPeerB + "\"]");
  EXPECT_EQ(*edited, expected);
  auto cleared = set_bootstrap_in_config(*edited, "config.toml", {});
  ASSERT_TRUE(cleared.ok());
  EXPECT_EQ(*cleared, text);

  // A hand-written file with a multi-line list and comments around it.
  std::string hand =
      "# mine\n[discovery]\nbootstrap = [\n  \"" + kPeerA + "\", # first\n]  # after\n[limits]\n";
  auto two = set_bootstrap_in_config(hand, "config.toml", {kPeerB});
  ASSERT_TRUE(two.ok()) << two.error().to_string();
  EXPECT_EQ(*two, "# mine\n[discovery]\nbootstrap = [\"" + kPeerB + "\"]  # after\n[limits]\n");

  // The old top-level key is edited in place.
  auto legacy = set_bootstrap_in_config("bootstrap = []\n", "config.toml", {kPeerA});
  ASSERT_TRUE(legacy.ok());
  EXPECT_EQ(*legacy, "bootstrap = [\"" + kPeerA + "\"]\n");
}

TEST(Config, SetBootstrapAddsTheKeyOrTheTable) {
  auto in_table =
      set_bootstrap_in_config("[discovery] # lan\nmdns = false\n", "config.toml", {kPeerA});
  ASSERT_TRUE(in_table.ok()) << in_table.error().to_string();
  EXPECT_EQ(*in_table, "[discovery] # lan\nbootstrap = [\"" + kPeerA + "\"]\nmdns = false\n");
  auto appended = set_bootstrap_in_config("listen = []\n[limits]\nconnections_max = 9",
                                          "config.toml", {kPeerA});
  ASSERT_TRUE(appended.ok()) << appended.error().to_string();
  EXPECT_EQ(bootstrap_of(*appended), std::vector<std::string>{kPeerA});
  EXPECT_EQ(parse_config(*appended, "c")->limits.connections_max, 9u);
  auto empty = set_bootstrap_in_config("", "config.toml", {kPeerA});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(bootstrap_of(*empty), std::vector<std::string>{kPeerA});
}

TEST(Config, SetBootstrapRefusesWhatItCannotDo) {
  auto bad_addr = set_bootstrap_in_config("", "config.toml", {"/ip4/1.2.3.4/tcp/1"});
  ASSERT_FALSE(bad_addr.ok());
  EXPECT_NE(bad_addr.error().message.find("must end with /p2p/"), std::string::npos);
  auto bad_file = set_bootstrap_in_config("listen = 3\n", "config.toml", {});
  ASSERT_FALSE(bad_file.ok());
  EXPECT_NE(bad_file.error().message.find("config.toml:1:10: listen"), std::string::npos);
  auto inline_table =
      set_bootstrap_in_config("discovery = { mdns = false }\n", "config.toml", {kPeerA});
  ASSERT_FALSE(inline_table.ok());
  EXPECT_NE(inline_table.error().message.find("by hand"), std::string::npos);
}

TEST(Config, LoadConfigNamesThePath) {
  TestDir dir;
  auto path = dir.path() / "config.toml";
  std::ofstream(path) << "\n\n[limits]\npending_dials_max = 0\n";
  auto r = load_config(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind(path.string() + ":4:21: limits.pending_dials_max", 0), 0u)
      << r.error().message;
  auto missing = load_config(dir.path() / "nope.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

}  // namespace
}  // namespace agora::store
