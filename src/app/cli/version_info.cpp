#include "app/cli/version_info.h"

#include <fmt/core.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>
#include <spdlog/version.h>
#include <sqlite3.h>
#include <toml++/impl/version.h>

#include <CLI/Version.hpp>
#include <asio/version.hpp>
#include <nlohmann/json.hpp>

#include "agora/version.h"

// cpp-httplib defines its version only in its (large) implementation header.
#include <httplib.h>

namespace agora {

namespace {

// 102201 -> "1.22.1" (Asio: major*100000 + minor*100 + patch); 90100 -> "9.1.0" (fmt: *10000).
std::string dotted(int v, int major_unit, int minor_unit) {
  return fmt::format("{}.{}.{}", v / major_unit, v % major_unit / minor_unit, v % minor_unit);
}

}  // namespace

std::vector<DependencyVersion> dependency_versions() {
  std::string openssl_built =
      fmt::format("{}.{}.{}", OPENSSL_VERSION_MAJOR, OPENSSL_VERSION_MINOR, OPENSSL_VERSION_PATCH);
  std::string openssl_loaded = OpenSSL_version(OPENSSL_FULL_VERSION_STRING);
  std::string sqlite_loaded = sqlite3_libversion();
  return {
      {"OpenSSL", openssl_built, openssl_loaded},
      {"SQLite", SQLITE_VERSION, sqlite_loaded},
      {"Asio", dotted(ASIO_VERSION, 100000, 100), ""},
      {"CLI11", CLI11_VERSION, ""},
      {"fmt", dotted(FMT_VERSION, 10000, 100), ""},
      {"spdlog", fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH), ""},
      {"toml++", fmt::format("{}.{}.{}", TOML_LIB_MAJOR, TOML_LIB_MINOR, TOML_LIB_PATCH), ""},
      {"nlohmann-json",
       fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR,
                   NLOHMANN_JSON_VERSION_PATCH),
       ""},
      {"cpp-httplib", CPPHTTPLIB_VERSION, ""},
  };
}

std::string version_text() {
  std::string out = fmt::format("agora {}\n", kAgoraVersion);
  if (*kBuildCommit == '\0') {
    out += "commit unknown (not built from a git checkout)\n";
  } else {
    out += fmt::format("commit {}{}\n", kBuildCommit,
                       kBuildCommitDirty ? " (with uncommitted changes)" : "");
  }
  out += "libraries:\n";
  for (const auto& d : dependency_versions()) {
    out += fmt::format("  {:14} {}", d.name, d.version);
    if (!d.runtime.empty() && d.runtime != d.version)
      out += fmt::format(" (loaded: {})", d.runtime);
    out += "\n";
  }
  return out;
}

nlohmann::json version_json() {
  nlohmann::json deps = nlohmann::json::object();
  for (const auto& d : dependency_versions()) {
    deps[d.name] = {{"built", d.version}};
    if (!d.runtime.empty()) deps[d.name]["loaded"] = d.runtime;
  }
  return {
      {"version", kAgoraVersion},
      {"agent", agent_version()},
      {"commit", *kBuildCommit == '\0' ? nlohmann::json(nullptr) : nlohmann::json(kBuildCommit)},
      {"commit_dirty", kBuildCommitDirty},
      {"dependencies", deps}};
}

}  // namespace agora
