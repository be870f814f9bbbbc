#include "node/file_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "store/partial_outputs.h"

namespace agora {

Error FileOutput::io_error(const char* op) const {
  return make_error(Errc::io, dest_.string() + ": " + op + ": " + std::strerror(errno));
}

Result<std::unique_ptr<FileOutput>> FileOutput::create(
    const std::filesystem::path& repo, const std::filesystem::path& dest, uint64_t size_bytes,
    const unixfs::ExportLimits& limits, store::FileRefs* refs,
    std::function<void(const std::filesystem::path&)> keep_blocks) {
  struct stat st;
  if (::lstat(dest.c_str(), &st) == 0)
    return make_error(Errc::exists, dest.string() + " already exists");
  if (size_bytes > limits.output_bytes_max)
    return make_error(Errc::too_large, dest.string() + ": declares " + std::to_string(size_bytes) +
                                           " bytes, over the size limit of " +
                                           std::to_string(limits.output_bytes_max) +
                                           " (--max-size)");
  std::filesystem::path parent = dest.has_parent_path() ? dest.parent_path() : ".";
  struct statvfs vfs;
  if (::statvfs(parent.c_str(), &vfs) != 0)
    return make_error(Errc::io, parent.string() + ": statvfs: " + std::strerror(errno));
  uint64_t free_bytes = uint64_t(vfs.f_bavail) * uint64_t(vfs.f_frsize);
  if (size_bytes + limits.disk_free_margin_bytes > free_bytes)
    return make_error(Errc::too_large,
                      dest.string() + ": declares " + std::to_string(size_bytes) +
                          " bytes, over the free space of " + parent.string() + " (" +
                          std::to_string(free_bytes) + " bytes free, less a margin of " +
                          std::to_string(limits.disk_free_margin_bytes) + "); nothing written");
  std::filesystem::path temp = store::partial_output_path(dest);
  AGORA_ASSIGN(std::filesystem::path record, store::record_partial_output(repo, temp));
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    Error e = make_error(Errc::io, dest.string() + ": create: " + std::strerror(errno));
    (void)store::forget_partial_output(record);
    return e;
  }
  // Whole pages go through O_DIRECT (see DiskWriter); a file system that refuses it gets -1 here
  // or EINVAL later, and buffered writes.
  int direct_fd = ::open(temp.c_str(), O_WRONLY | O_DIRECT | O_NOFOLLOW | O_CLOEXEC);
  std::unique_ptr<FileOutput> out(
      new FileOutput(dest, temp, record, fd, direct_fd, size_bytes, refs));
  out->keep_blocks_ = std::move(keep_blocks);
  // Sized up front: writes at any offset, and a full disk shows now rather than half way.
  if (size_bytes > 0) {
    int rc = ::posix_fallocate(fd, 0, off_t(size_bytes));
    if (rc != 0 && (rc == ENOSPC || ::ftruncate(fd, off_t(size_bytes)) != 0)) {
      errno = rc == ENOSPC ? rc : errno;
      return out->io_error("allocate");
    }
  }
  return out;
}

Status FileOutput::close_files() {
  writer_.reset();  // lets queued writes finish before their descriptors close
  if (direct_fd_ >= 0) ::close(std::exchange(direct_fd_, -1));
  if (fd_ >= 0 && ::close(std::exchange(fd_, -1)) != 0) return io_error("close");
  return {};
}

FileOutput::~FileOutput() {
  (void)close_files();
  if (finished_) return;
  if (refs_recorded_) {
    if (keep_blocks_) keep_blocks_(temp_);
    (void)refs_->remove_file(temp_);
  }
  ::unlink(temp_.c_str());
  (void)store::forget_partial_output(record_);
}

Status FileOutput::write_at(uint64_t offset, BytesView data) {
  if (offset > size_ || data.size() > size_ - offset)
    return make_error(Errc::internal, dest_.string() + ": a write past the file's size");
  if (!writer_) return make_error(Errc::internal, dest_.string() + ": a write after finish");
  return writer_->write(offset, data);
}

Status FileOutput::record_refs(const std::vector<WrittenBlock>& blocks) {
  if (!refs_ || blocks.empty()) return {};
  if (!writer_) return make_error(Errc::internal, dest_.string() + ": references after finish");
  AGORA_TRY(writer_->flush());  // a reference names bytes already in the file
  std::vector<std::pair<Multihash, store::FileRef>> refs;
  refs.reserve(blocks.size());
  for (const WrittenBlock& b : blocks) refs.push_back({b.hash, {temp_, b.offset, b.length}});
  refs_recorded_ = true;
  return refs_->add(refs);
}

Status FileOutput::finish() {
  if (!writer_) return make_error(Errc::internal, dest_.string() + ": finished twice");
  AGORA_TRY(writer_->flush());
  AGORA_TRY(close_files());
  struct stat st;
  if (::lstat(dest_.c_str(), &st) == 0)
    return make_error(Errc::exists, dest_.string() + " already exists");
  if (::rename(temp_.c_str(), dest_.c_str()) != 0) return io_error("rename");
  finished_ = true;
  // The references follow; should that fail, the file is in place and the blocks are fetched
  // again when wanted.
  if (refs_recorded_) {
    auto moved = refs_->rename_file(temp_, dest_);
    if (!moved) (void)refs_->remove_file(temp_);
  }
  (void)store::forget_partial_output(record_);
  return {};
}

}  // namespace agora
