// A file written at offsets, as a download's leaves arrive in any order: created under a hidden
// temporary name next to its destination (recorded in the repo first, so a daemon that dies
// mid-download leaves nothing behind after its next start), sized up front, and renamed into
// place by finish(). Destroyed unfinished, it removes the temporary.
//
// With a FileRefs table, the blocks written can be recorded as references into the file
// (record_refs), so the file serves peers as it fills, with no second copy: they follow the
// rename; when the output is abandoned, `keep_blocks` (Content::keep_blocks_of) saves what they
// name before the temporary goes.
//
// Writes go through a DiskWriter (its own thread, O_DIRECT where the file system takes it):
// write_at() queues them; record_refs() and finish() wait until they are in the file first, so a
// reference never names bytes still in flight.
//
// Bounds: create() refuses a size over the export limits or the destination's free space less
// the margin; write_at() refuses a write past the size; the DiskWriter's queue is bounded.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "base/bytes.h"
#include "node/disk_writer.h"
#include "store/file_refs.h"
#include "unixfs/exporter.h"

namespace agora {

class FileOutput {
 public:
  // Errc::exists when `dest` exists; Errc::too_large over the limits; Errc::io otherwise.
  static Result<std::unique_ptr<FileOutput>> create(
      const std::filesystem::path& repo, const std::filesystem::path& dest, uint64_t size_bytes,
      const unixfs::ExportLimits& limits, store::FileRefs* refs = nullptr,
      std::function<void(const std::filesystem::path&)> keep_blocks = {});
  ~FileOutput();
  FileOutput(const FileOutput&) = delete;
  FileOutput& operator=(const FileOutput&) = delete;

  Status write_at(uint64_t offset, BytesView data);
  struct WrittenBlock {
    Multihash hash;
    uint64_t offset = 0;
    uint64_t length = 0;
  };
  // These blocks (written, verified) now live in the file: references, in one transaction. A
  // no-op without a FileRefs table.
  Status record_refs(const std::vector<WrittenBlock>& blocks);
  // Closes the file and renames it to the destination (which must still not exist).
  Status finish();
  const std::filesystem::path& dest() const { return dest_; }

 private:
  FileOutput(std::filesystem::path dest, std::filesystem::path temp, std::filesystem::path record,
             int fd, int direct_fd, uint64_t size, store::FileRefs* refs)
      : refs_(refs),
        dest_(std::move(dest)),
        temp_(std::move(temp)),
        record_(std::move(record)),
        fd_(fd),
        direct_fd_(direct_fd),
        size_(size),
        writer_(std::make_unique<DiskWriter>(fd, direct_fd, dest_.string())) {}
  // Lets queued writes finish, then closes both descriptors; the buffered one's close error.
  Status close_files();
  Error io_error(const char* op) const;

  store::FileRefs* refs_;
  std::function<void(const std::filesystem::path&)> keep_blocks_;
  bool refs_recorded_ = false;
  std::filesystem::path dest_, temp_, record_;
  int fd_ = -1;
  int direct_fd_ = -1;  // the same file opened with O_DIRECT, or -1 where that is refused
  uint64_t size_ = 0;
  std::unique_ptr<DiskWriter> writer_;  // declared after the descriptors: goes before they close
  bool finished_ = false;
};

}  // namespace agora
