// Small file helpers for the repo: crash-safe writes (temp file, fsync, rename, fsync dir) and
// bounded reads. All errors name the file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"

namespace agora::store {

// Writes `content` to `path` with exactly `mode` (umask does not apply): the file appears
// complete or not at all, and survives a crash once this returns ok.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode);

// Reads a whole regular file; Errc::not_found if it does not exist, Errc::too_large past max.
Result<std::string> read_file(const std::filesystem::path& path, size_t bytes_max);

// Moves `from` into `dir` (same filesystem) under its own name, with a numeric suffix when that
// name is taken; never replaces a file. Returns where it went.
Result<std::filesystem::path> move_aside(const std::filesystem::path& from,
                                         const std::filesystem::path& dir);

// Refuses a secret file that group or others may read, with the chmod command that fixes it.
Status check_private_mode(const std::filesystem::path& path);

}  // namespace agora::store
