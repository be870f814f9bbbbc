// A file written at offsets, as a download's leaves arrive in any order: created under a hidden
// temporary name next to its destination (recorded in the repo first, so a daemon that dies
// mid-download leaves nothing behind after its next start), sized up front, and renamed into
// place by finish(). Destroyed unfinished, it removes the temporary.
//
// Bounds: create() refuses a size over the export limits or the destination's free space less
// the margin; write_at() refuses a write past the size.
#pragma once

#include <filesystem>
#include <memory>

#include "base/bytes.h"
#include "unixfs/exporter.h"

namespace agora {

class FileOutput {
 public:
  // Errc::exists when `dest` exists; Errc::too_large over the limits; Errc::io otherwise.
  static Result<std::unique_ptr<FileOutput>> create(const std::filesystem::path& repo,
                                                    const std::filesystem::path& dest,
                                                    uint64_t size_bytes,
                                                    const unixfs::ExportLimits& limits);
  ~FileOutput();
  FileOutput(const FileOutput&) = delete;
  FileOutput& operator=(const FileOutput&) = delete;

  Status write_at(uint64_t offset, BytesView data);
  // Closes the file and renames it to the destination (which must still not exist).
  Status finish();
  uint64_t bytes_written() const { return written_; }
  const std::filesystem::path& dest() const { return dest_; }

 private:
  FileOutput(std::filesystem::path dest, std::filesystem::path temp, std::filesystem::path record,
             int fd, uint64_t size)
      : dest_(std::move(dest)),
        temp_(std::move(temp)),
        record_(std::move(record)),
        fd_(fd),
        size_(size) {}
  Error io_error(const char* op) const;

  std::filesystem::path dest_, temp_, record_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t written_ = 0;
  bool finished_ = false;
};

}  // namespace agora
