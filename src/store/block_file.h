// POSIX file operations on block files, with errors that name the block: "no space left on device
// while writing block <cid> (<path>)".
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "base/bytes.h"

namespace agora::store {

// "<strerror, lower case> while <doing> block <cid> (<path>)"; ENOENT maps to Errc::not_found.
Error block_io_error(int err, std::string_view doing, std::string_view cid_text,
                     const std::filesystem::path& path);

// A block file being written under blocks/.tmp. Destroying it closes and unlinks the file,
// unless rename_to() moved it into place: a failed or abandoned write leaves nothing behind.
class TempBlockFile {
 public:
  TempBlockFile() = default;
  TempBlockFile(TempBlockFile&& o) noexcept;
  TempBlockFile& operator=(TempBlockFile&& o) noexcept;
  TempBlockFile(const TempBlockFile&) = delete;
  TempBlockFile& operator=(const TempBlockFile&) = delete;
  ~TempBlockFile() { discard(); }

  // Creates `path` (it must not exist) and writes `data`. With start_writeback the kernel starts
  // writing at once (sync_file_range), so a later sync() mostly waits for I/O already under way.
  static Result<TempBlockFile> write(const std::filesystem::path& path, BytesView data,
                                     std::string cid_text, bool start_writeback);
  Status sync();  // fsync: data and size are durable
  // Closes the file and renames it to `dest` (replacing any file there). On failure the temp file
  // is still owned and removed by discard()/the destructor.
  Status rename_to(const std::filesystem::path& dest);
  void discard();

  const std::filesystem::path& path() const { return path_; }
  const std::string& cid_text() const { return cid_text_; }

 private:
  std::filesystem::path path_;
  std::string cid_text_;
  int fd_ = -1;
};

// Reads a whole block file; Errc::not_found when absent, Errc::too_large past bytes_max.
// `stat_out`, when given, receives the file's fstat(2), taken before the read.
Result<Bytes> read_block_file(const std::filesystem::path& path, size_t bytes_max,
                              std::string_view cid_text, struct stat* stat_out = nullptr);

// mkdir that accepts an existing directory; *created tells whether this call made it.
Status make_dir(const std::filesystem::path& dir, bool* created);
Status fsync_directory(const std::filesystem::path& dir);

}  // namespace agora::store
