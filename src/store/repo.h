// The repo on disk ($AGORA_PATH, default ~/.agora): creating it (`agora init`) and opening it.
//
//   version        repo format version ("1")
//   config.toml    commented configuration (store/config.h)
//   identity.key   the node's Ed25519 private key, mode 0600 (format in identity_key.h)
//   api.token      bearer token for the local HTTP API, 0600
//   swarm.key      optional: the private network's pre-shared key, 0600 (store/swarm_key.h)
//   repo.lock      held by the running daemon (store/repo_lock.h)
//   api            the running daemon's API URL (store/api_file.h)
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "crypto/ed25519.h"
#include "store/config.h"
#include "store/swarm_key.h"

namespace agora::store {

inline constexpr int kRepoVersion = 1;
inline constexpr const char* kVersionFile = "version";
inline constexpr const char* kConfigFile = "config.toml";
inline constexpr const char* kIdentityKeyFile = "identity.key";
inline constexpr const char* kApiTokenFile = "api.token";

struct InitOptions {
  std::optional<std::vector<std::string>> listen;  // replaces Config::listen
  std::optional<std::string> api_address;          // replaces Config::api_address
  // Tests and `agora init --identity` may supply the key; otherwise a new one is generated.
  std::optional<crypto::Ed25519PrivateKey> identity;
  // A private network's key, written to swarm.key (0600). None: the repo is public (a swarm.key
  // put there beforehand is kept).
  std::optional<pnet::PreSharedKey> swarm_key;
};

// Creates the repo. Errc::exists if `root` already holds repo files; never overwrites.
Status init_repo(const std::filesystem::path& root, const InitOptions& options);

struct Repo {
  std::filesystem::path root;
  Config config;
  crypto::Ed25519PrivateKey identity;
  std::string api_token;                        // 64 hex characters
  std::optional<pnet::PreSharedKey> swarm_key;  // from swarm.key: a private network
};

// Errc::not_found with "no agora repo at X (run `agora init`)" when there is none; refuses an
// unknown format version, secret files that group or others can access, and a malformed
// swarm.key.
Result<Repo> open_repo(const std::filesystem::path& root);

// $AGORA_PATH if set and non-empty, else $HOME/.agora (or the passwd home directory).
Result<std::filesystem::path> default_repo_path();

}  // namespace agora::store
