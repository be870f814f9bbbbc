// A .tar.gz archive written in one pass: regular files only (ustar headers, names up to 100
// bytes), gzip-compressed with zlib. The archive is written under a hidden temporary name next to
// its destination and renamed into place by finish(), so a failure or an interruption never
// leaves a truncated archive under the final name; destroyed unfinished, it removes the temporary.
//
// Bounds: a file's name must fit ustar's 100 bytes (longer is Errc::invalid_input); sizes up to
// 8 GiB (ustar's 11 octal digits). Errors are values naming the archive.
#pragma once

#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "agora/result.h"

namespace agora {

class TarGzWriter {
 public:
  // Errc::exists when `dest` exists; Errc::io when the temporary cannot be made.
  static Result<std::unique_ptr<TarGzWriter>> create(const std::filesystem::path& dest);
  ~TarGzWriter();
  TarGzWriter(const TarGzWriter&) = delete;
  TarGzWriter& operator=(const TarGzWriter&) = delete;

  // A regular file, mode 0644, owned by uid/gid 0, modified at `mtime`.
  Status add(std::string_view name, std::string_view content, std::time_t mtime);
  // Ends the archive (two zero blocks), closes it and renames it to the destination.
  Status finish();

 private:
  TarGzWriter(std::filesystem::path dest, std::filesystem::path temp, void* gz)
      : dest_(std::move(dest)), temp_(std::move(temp)), gz_(gz) {}
  Status write(const void* data, size_t bytes);

  std::filesystem::path dest_, temp_;
  void* gz_;  // gzFile
  bool finished_ = false;
};

}  // namespace agora
