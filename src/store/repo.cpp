// Creating and opening the repo directory.
#include "store/repo.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "crypto/random.h"
#include "store/file_util.h"
#include "store/identity_key.h"

namespace agora::store {
namespace {

namespace fs = std::filesystem;

constexpr size_t kSmallFileBytesMax = 64 * 1024;
constexpr size_t kApiTokenBytes = 32;

bool exists_no_follow(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

Status make_repo_dir(const fs::path& root) {
  std::error_code ec;
  if (!root.parent_path().empty()) fs::create_directories(root.parent_path(), ec);
  if (ec) return make_error(Errc::io, root.parent_path().string() + ": " + ec.message());
  if (::mkdir(root.c_str(), 0700) == 0) {
    // mkdir honours the umask; chmod makes the mode exact.
    if (::chmod(root.c_str(), 0700) != 0) {
      return make_error(Errc::io, root.string() + ": chmod: " + std::strerror(errno));
    }
    return {};
  }
  if (errno != EEXIST)
    return make_error(Errc::io, root.string() + ": mkdir: " + std::strerror(errno));
  if (!fs::is_directory(root, ec)) {
    return make_error(Errc::exists, root.string() + " exists and is not a directory");
  }
  return {};  // an existing directory is fine as long as it holds no repo files
}

Status validate_api_token(std::string_view token, const fs::path& path) {
  if (token.size() != 2 * kApiTokenBytes || !from_hex(token).ok()) {
    return make_error(
        Errc::invalid_input,
        path.string() + ":1: expected " + std::to_string(2 * kApiTokenBytes) + " hex characters");
  }
  return {};
}

std::string_view first_line(std::string_view s) {
  s = s.substr(0, s.find('\n'));
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.remove_suffix(1);
  return s;
}

Status check_version(const fs::path& root) {
  fs::path path = root / kVersionFile;
  auto text = read_file(path, kSmallFileBytesMax);
  if (!text.ok()) {
    if (text.error().code == Errc::not_found) {
      return make_error(Errc::not_found,
                        "no agora repo at " + root.string() + " (run `agora init`)");
    }
    return text.error();
  }
  std::string_view v = first_line(*text);
  if (v != std::to_string(kRepoVersion)) {
    return make_error(Errc::unsupported,
                      "repo " + root.string() + " has format version '" + std::string(v) +
                          "' but this agora reads only version " + std::to_string(kRepoVersion) +
                          "; use the agora release that created it (or a newer one that migrates)");
  }
  return {};
}

}  // namespace

Status init_repo(const fs::path& root, const InitOptions& options) {
  for (const char* name : {kVersionFile, kConfigFile, kIdentityKeyFile, kApiTokenFile}) {
    if (exists_no_follow(root / name)) {
      return make_error(Errc::exists, "an agora repo already exists at " + root.string() + " (" +
                                          name +
                                          " is present); refusing to overwrite it. Remove it "
                                          "first or choose another path with AGORA_PATH");
    }
  }
  if (options.swarm_key && exists_no_follow(root / kSwarmKeyFile)) {
    return make_error(Errc::exists, (root / kSwarmKeyFile).string() +
                                        " already exists; refusing to replace a network's key");
  }
  Config config;
  if (options.listen) {
    for (size_t i = 0; i < options.listen->size(); ++i) {
      Status st = validate_listen_addr((*options.listen)[i]);
      if (!st.ok()) {
        return make_error(Errc::invalid_input,
                          "listen address '" + (*options.listen)[i] + "': " + st.error().message);
      }
    }
    config.listen = *options.listen;
  }
  if (options.api_address) {
    Status st = validate_api_address(*options.api_address);
    if (!st.ok()) return make_error(Errc::invalid_input, "api address: " + st.error().message);
    config.api_address = *options.api_address;
  }
  AGORA_TRY(make_repo_dir(root));

  crypto::Ed25519PrivateKey key =
      options.identity ? *options.identity : crypto::Ed25519PrivateKey::generate();
  AGORA_TRY(write_file_atomic(root / kIdentityKeyFile, encode_identity_key_file(key), 0600));
  AGORA_TRY(write_file_atomic(root / kApiTokenFile,
                              to_hex(crypto::random_bytes(kApiTokenBytes)) + "\n", 0600));
  if (options.swarm_key)
    AGORA_TRY(
        write_file_atomic(root / kSwarmKeyFile, encode_swarm_key_file(*options.swarm_key), 0600));
  AGORA_TRY(write_file_atomic(root / kConfigFile, render_default_config(config), 0644));
  // Written last: a repo without it is incomplete and open_repo does not accept it.
  AGORA_TRY(write_file_atomic(root / kVersionFile, std::to_string(kRepoVersion) + "\n", 0644));
  return {};
}

Result<Repo> open_repo(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(Errc::not_found, "no agora repo at " + root.string() + " (run `agora init`)");
  }
  AGORA_TRY(check_version(root));
  AGORA_ASSIGN(Config config, load_config(root / kConfigFile));

  fs::path key_path = root / kIdentityKeyFile;
  AGORA_ASSIGN(std::string key_text, read_file(key_path, kSmallFileBytesMax));
  AGORA_TRY(check_private_mode(key_path));
  AGORA_ASSIGN(crypto::Ed25519PrivateKey key,
               decode_identity_key_file(key_text, key_path.string()));

  fs::path token_path = root / kApiTokenFile;
  AGORA_ASSIGN(std::string token_text, read_file(token_path, kSmallFileBytesMax));
  AGORA_TRY(check_private_mode(token_path));
  std::string token(first_line(token_text));
  AGORA_TRY(validate_api_token(token, token_path));

  AGORA_ASSIGN(std::optional<pnet::PreSharedKey> swarm_key, load_swarm_key(root));
  return Repo{root, std::move(config), std::move(key), std::move(token), swarm_key};
}

Result<fs::path> default_repo_path() {
  if (const char* p = std::getenv("AGORA_PATH"); p != nullptr && *p != '\0') return fs::path(p);
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".agora";
  }
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(::getuid(), &pw, buf, sizeof buf, &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr && *found->pw_dir != '\0') {
    return fs::path(found->pw_dir) / ".agora";
  }
  return make_error(Errc::not_found, "cannot find a home directory: set AGORA_PATH or HOME");
}

}  // namespace agora::store
