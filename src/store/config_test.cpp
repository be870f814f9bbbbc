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
bootstrap = ["/ip4/1.2.3.4/tcp/4001/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"]
event_buffer_max = 16
noise_inline_muxer = false

[limits]
connections_max = 10
connections_per_peer_max = 2
inbound_streams_per_connection_max = 8
pending_dials_max = 3
pending_inbound_handshakes_max = 5
dial_timeout_ms = 1500
handshake_timeout_ms = 2500
idle_timeout_ms = 60000
)",
                        "config.toml");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->listen, std::vector<std::string>{"/ip4/127.0.0.1/tcp/0"});
  EXPECT_EQ(c->api_address, "[::1]:5002");
  ASSERT_EQ(c->bootstrap.size(), 1u);
  EXPECT_EQ(c->event_buffer_max, 16u);
  EXPECT_FALSE(c->noise_inline_muxer);
  EXPECT_EQ(c->limits.connections_max, 10u);
  EXPECT_EQ(c->limits.connections_per_peer_max, 2u);
  EXPECT_EQ(c->limits.inbound_streams_per_connection_max, 8u);
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

TEST(Config, UnknownKeysAreErrors) {
  std::string e = error_of("listen = []\nlisten_addrs = []\n");
  EXPECT_EQ(e,
            "config.toml:2:1: unknown key 'listen_addrs' (known keys: listen, api_address, "
            "bootstrap, event_buffer_max, noise_inline_muxer, limits)");
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
  for (const char* key :
       {"listen", "api_address", "bootstrap", "event_buffer_max", "noise_inline_muxer",
        "connections_max", "connections_per_peer_max", "inbound_streams_per_connection_max",
        "pending_dials_max", "pending_inbound_handshakes_max", "dial_timeout_ms",
        "handshake_timeout_ms", "idle_timeout_ms"}) {
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
  c.bootstrap = {"/dnsaddr/bootstrap.libp2p.io/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN"};
  c.limits.idle_timeout_ms = 30000;
  c.limits.connections_max = 7;
  c.event_buffer_max = 99;
  c.noise_inline_muxer = false;
  std::string text = render_default_config(c);
  auto back = parse_config(text, "config.toml");
  ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << text;
  EXPECT_EQ(*back, c);
  EXPECT_NE(text.find("# Default: [\"/ip4/0.0.0.0/tcp/4001\", \"/ip6/::/tcp/4001\"]"),
            std::string::npos);
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
