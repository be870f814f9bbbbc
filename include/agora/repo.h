// A node's repo on disk, for tools that run without a node (agora init, the CLI, testnets): where
// it is, making one, who it is, where its running node's API answers, and edits of its config
// that keep a user's own edits. Everything here works on files only; no node is started.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agora/result.h"

namespace agora {

inline constexpr const char* kConfigFileName = "config.toml";  // in the repo
inline constexpr const char* kSwarmKeyFileName = "swarm.key";  // a private network's key

// $AGORA_PATH, else ~/.agora.
Result<std::filesystem::path> default_repo_path();

struct RepoInit {
  std::vector<std::string> listen;  // multiaddrs; empty: 0.0.0.0 and :: port 4001
  std::string api_address;          // host:port on loopback; empty: 127.0.0.1:5001
  // The text of a swarm.key (kubo's format) to write into the repo (mode 0600): the node is then
  // in that private network. Empty: a public network.
  std::string swarm_key;
};
// Creates identity.key, api.token and a commented config.toml (and swarm.key); refuses an
// existing repo. A malformed swarm_key is refused before anything is written.
Status init_repo(const std::filesystem::path& repo, const RepoInit& init);
// The repo's peer id, from its identity key.
Result<std::string> repo_peer_id(const std::filesystem::path& repo);

// Private networks (libp2p pnet, a pre-shared key in <repo>/swarm.key).
// A new random key, as the text of a swarm.key file (/key/swarm/psk/1.0.0/, /base16/, 64 hex).
std::string new_swarm_key();
// The key's fingerprint (32 hex characters, as kubo prints it) from swarm.key text; errors name
// `source_name` and the line.
Result<std::string> swarm_key_fingerprint(std::string_view text, std::string_view source_name);
// The repo's private network (its key's fingerprint), or "" when it is public.
Result<std::string> repo_private_network(const std::filesystem::path& repo);

// Where a running node's HTTP API answers: the URL it wrote (not_found when no node runs there),
// and its Unix socket.
Result<std::string> read_api_url(const std::filesystem::path& repo);
std::filesystem::path api_socket_path(const std::filesystem::path& repo);
// The running node's API file, written once its API listens and removed when it stops.
Status write_api_url(const std::filesystem::path& repo, std::string_view url);
Status remove_api_url(const std::filesystem::path& repo);

// The canonical text of a bootstrap address (a multiaddr ending in /p2p/<peer id>), so that equal
// addresses compare equal.
Result<std::string> canonical_bootstrap_addr(std::string_view text);
// The configured bootstrap list, canonical.
Result<std::vector<std::string>> bootstrap_peers(const std::filesystem::path& repo);
// Rewrites only the bootstrap list of config.toml, keeping its mode, comments and other keys.
Status set_bootstrap_peers(const std::filesystem::path& repo,
                           const std::vector<std::string>& addrs);

// Settings for many nodes on one host (a testnet): loopback peers are all honest.
struct ConfigOverrides {
  std::optional<bool> mdns;
  std::optional<std::string> dht_mode;  // "server", "client" or "auto"
  bool many_peers_per_ip = false;       // lift the per-IP and per-network admission limits
  std::optional<size_t> connections_low_water;
  std::optional<bool> serve_diag;  // [trace] serve_diag: answer peers' trace questions
};
// Rewrites config.toml with the overrides applied (comments are regenerated).
Status override_config(const std::filesystem::path& repo, const ConfigOverrides& overrides);
size_t default_connections_high_water();

// Small file helpers shared with the repo code: a bounded read, and an atomic write
// (temporary file, fsync, rename).
Result<std::string> read_file(const std::filesystem::path& path, size_t bytes_max);
Status write_file_atomic(const std::filesystem::path& path, std::string_view content,
                         unsigned mode);

}  // namespace agora
