// include/agora/repo.h over the store: the repo's files, read and edited without a node.
#include "agora/repo.h"

#include "codec/multiaddr.h"
#include "codec/peer_id.h"
#include "store/api_file.h"
#include "store/config.h"
#include "store/file_util.h"
#include "store/repo.h"
#include "store/swarm_key.h"

namespace agora {

namespace fs = std::filesystem;

static_assert(std::string_view(kConfigFileName) == store::kConfigFile);
static_assert(std::string_view(kSwarmKeyFileName) == store::kSwarmKeyFile);

Result<fs::path> default_repo_path() { return store::default_repo_path(); }

Status init_repo(const fs::path& repo, const RepoInit& init) {
  store::InitOptions options;
  if (!init.listen.empty()) options.listen = init.listen;
  if (!init.api_address.empty()) options.api_address = init.api_address;
  if (!init.swarm_key.empty()) {
    AGORA_ASSIGN(options.swarm_key, store::decode_swarm_key_file(init.swarm_key, "swarm key"));
  }
  return store::init_repo(repo, options);
}

std::string new_swarm_key() { return store::encode_swarm_key_file(store::generate_swarm_key()); }

Result<std::string> swarm_key_fingerprint(std::string_view text, std::string_view source_name) {
  AGORA_ASSIGN(pnet::PreSharedKey key, store::decode_swarm_key_file(text, source_name));
  return pnet::fingerprint(key);
}

Result<std::string> repo_private_network(const fs::path& repo) {
  AGORA_ASSIGN(std::optional<pnet::PreSharedKey> key, store::load_swarm_key(repo));
  return key ? pnet::fingerprint(*key) : std::string();
}

Result<std::string> repo_peer_id(const fs::path& repo) {
  AGORA_ASSIGN(store::Repo r, store::open_repo(repo));
  const auto& pub = r.identity.public_key();
  return PeerId::from_public_key({KeyType::ed25519, Bytes(pub.begin(), pub.end())}).to_string();
}

Result<std::string> read_api_url(const fs::path& repo) { return store::read_api_file(repo); }

fs::path api_socket_path(const fs::path& repo) { return repo / store::kApiSocketFile; }

Status write_api_url(const fs::path& repo, std::string_view url) {
  return store::write_api_file(repo, url);
}

Status remove_api_url(const fs::path& repo) { return store::remove_api_file(repo); }

Result<std::string> canonical_bootstrap_addr(std::string_view text) {
  AGORA_TRY(store::validate_bootstrap_addr(text));
  AGORA_ASSIGN(Multiaddr addr, Multiaddr::parse(text));
  return addr.to_string();
}

Result<std::vector<std::string>> bootstrap_peers(const fs::path& repo) {
  AGORA_ASSIGN(store::Repo r, store::open_repo(repo));
  std::vector<std::string> out;
  for (const auto& text : r.config.discovery.bootstrap) {
    AGORA_ASSIGN(std::string addr, canonical_bootstrap_addr(text));
    out.push_back(std::move(addr));
  }
  return out;
}

Status set_bootstrap_peers(const fs::path& repo, const std::vector<std::string>& addrs) {
  fs::path path = repo / store::kConfigFile;
  AGORA_ASSIGN(std::string text, store::read_file(path, store::kConfigFileBytesMax));
  AGORA_ASSIGN(std::string edited, store::set_bootstrap_in_config(text, path.string(), addrs));
  std::error_code ec;
  auto perms = fs::status(path, ec).permissions();
  mode_t mode = ec ? 0644 : mode_t(perms) & 0777;
  return store::write_file_atomic(path, edited, mode);
}

Status override_config(const fs::path& repo, const ConfigOverrides& o) {
  fs::path path = repo / store::kConfigFile;
  AGORA_ASSIGN(store::Config config, store::load_config(path));
  if (o.mdns) config.discovery.mdns = *o.mdns;
  if (o.serve_diag) config.trace.serve_diag = *o.serve_diag;
  if (o.dht_mode) config.dht.mode = *o.dht_mode;
  if (o.many_peers_per_ip) {
    store::Limits& l = config.limits;
    l.inbound_connections_per_ip_max = l.connections_max;
    l.inbound_connections_per_group_max = l.connections_max;
    l.pending_inbound_handshakes_per_ip_max = l.pending_inbound_handshakes_max;
    l.pending_inbound_handshakes_per_group_max = l.pending_inbound_handshakes_max;
  }
  if (o.connections_low_water) config.connections.low_water = *o.connections_low_water;
  return store::write_file_atomic(path, store::render_default_config(config), 0644);
}

size_t default_connections_high_water() { return store::Connections{}.high_water; }

Result<std::string> read_file(const fs::path& path, size_t bytes_max) {
  return store::read_file(path, bytes_max);
}

Status write_file_atomic(const fs::path& path, std::string_view content, unsigned mode) {
  return store::write_file_atomic(path, content, mode_t(mode));
}

}  // namespace agora
