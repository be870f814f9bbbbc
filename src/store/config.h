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

#include "base/result.h"

namespace agora::store {

// Limits on what remote peers can make us hold. Values must be >= 1 unless noted.
struct Limits {
  size_t connections_max = 512;
  size_t connections_per_peer_max = 4;
  size_t inbound_streams_per_connection_max = 256;
  size_t pending_dials_max = 64;
  size_t pending_inbound_handshakes_max = 64;
  uint32_t dial_timeout_ms = 10000;
  uint32_t handshake_timeout_ms = 10000;
  uint32_t idle_timeout_ms = 0;  // 0 = never close idle connections
  bool operator==(const Limits&) const = default;
};

struct Config {
  std::vector<std::string> listen = {"/ip4/0.0.0.0/tcp/4001", "/ip6/::/tcp/4001"};
  std::string api_address = "127.0.0.1:5001";  // host:port of the local HTTP API
  std::vector<std::string> bootstrap;          // multiaddrs ending in /p2p/<peer id>
  Limits limits;
  size_t event_buffer_max = 4096;  // events kept by the flight recorder
  bool noise_inline_muxer = true;  // offer the muxer inside the Noise handshake
  bool operator==(const Config&) const = default;
};

inline constexpr size_t kConfigFileBytesMax = 1 << 20;

// Parses TOML text. `source_name` prefixes errors: "<source_name>:<line>:<col>: <what>".
// Missing keys keep their defaults; unknown keys are an error (they are usually typos).
Result<Config> parse_config(std::string_view toml_text, std::string_view source_name);
// Reads and parses a file; errors are prefixed with the path as given.
Result<Config> load_config(const std::filesystem::path& path);

// Checks values a parsed Config must satisfy (also used for command-line overrides).
Status validate_listen_addr(std::string_view multiaddr);
Status validate_bootstrap_addr(std::string_view multiaddr);
Status validate_api_address(std::string_view host_port);

// A complete TOML file for `config`: every key, each with a comment saying what it does and its
// default. parse_config(render_default_config(c)) == c.
std::string render_default_config(const Config& config);

}  // namespace agora::store
