// <root>/api: the running daemon writes its API URL here so the CLI can find it
// (e.g. "http://127.0.0.1:5001"). Removed on clean shutdown; a stale file after a crash is
// harmless because the CLI's connection attempt fails and the lock shows no daemon.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace agora::store {

inline constexpr const char* kApiFile = "api";
// The daemon's Unix socket for the same API (mode 0600); the CLI prefers it when it answers.
inline constexpr const char* kApiSocketFile = "api.sock";

Status write_api_file(const std::filesystem::path& root, std::string_view url);
// Errc::not_found when no daemon advertises an API.
Result<std::string> read_api_file(const std::filesystem::path& root);
// Ok if the file is already gone.
Status remove_api_file(const std::filesystem::path& root);

}  // namespace agora::store
