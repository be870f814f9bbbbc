#include "store/block_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace agora::store {
namespace {

std::string errno_text(int err) {
  std::string s = std::strerror(err);
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = char(s[0] - 'A' + 'a');
  return s;
}

Error path_error(int err, std::string_view doing, const std::filesystem::path& path) {
  return make_error(err == ENOENT ? Errc::not_found : Errc::io,
                    path.string() + ": " + std::string(doing) + ": " + errno_text(err));
}

}  // namespace

Error block_io_error(int err, std::string_view doing, std::string_view cid_text,
                     const std::filesystem::path& path) {
  return make_error(err == ENOENT ? Errc::not_found : Errc::io,
                    errno_text(err) + " while " + std::string(doing) + " block " +
                        std::string(cid_text) + " (" + path.string() + ")");
}

TempBlockFile::TempBlockFile(TempBlockFile&& o) noexcept
    : path_(std::move(o.path_)), cid_text_(std::move(o.cid_text_)), fd_(std::exchange(o.fd_, -1)) {
  o.path_.clear();
}

TempBlockFile& TempBlockFile::operator=(TempBlockFile&& o) noexcept {
  if (this != &o) {
    discard();
    path_ = std::move(o.path_);
    o.path_.clear();
    cid_text_ = std::move(o.cid_text_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

Result<TempBlockFile> TempBlockFile::write(const std::filesystem::path& path, BytesView data,
                                           std::string cid_text, bool start_writeback) {
  TempBlockFile f;
  f.cid_text_ = std::move(cid_text);
  f.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (f.fd_ < 0) return block_io_error(errno, "creating", f.cid_text_, path);
  f.path_ = path;  // from here on the destructor removes the file
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(f.fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return block_io_error(errno, "writing", f.cid_text_, path);
    }
    done += size_t(n);
  }
  // A hint only: its failure shows up again, and is reported, at fsync.
  if (start_writeback) (void)::sync_file_range(f.fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
  return f;
}

Status TempBlockFile::sync() {
  if (::fsync(fd_) != 0) return block_io_error(errno, "syncing", cid_text_, path_);
  return {};
}

Status TempBlockFile::rename_to(const std::filesystem::path& dest) {
  if (fd_ >= 0) {
    // close() can report a deferred write error (NFS); the data is not trusted then.
    int rc = ::close(std::exchange(fd_, -1));
    if (rc != 0 && errno != EINTR) return block_io_error(errno, "closing", cid_text_, path_);
  }
  if (::rename(path_.c_str(), dest.c_str()) != 0)
    return block_io_error(errno, "renaming into place", cid_text_, dest);
  path_.clear();
  return {};
}

void TempBlockFile::discard() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (!path_.empty()) {
    ::unlink(path_.c_str());
    path_.clear();
  }
}

Result<Bytes> read_block_file(const std::filesystem::path& path, size_t bytes_max,
                              std::string_view cid_text, struct stat* stat_out) {
  // O_NONBLOCK: a FIFO planted in the store must not hang the reader (no effect on files).
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT)
      return make_error(Errc::not_found, "block " + std::string(cid_text) + " not found");
    return block_io_error(errno, "opening", cid_text, path);
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return block_io_error(errno, "reading", cid_text, path);
  if (!S_ISREG(st.st_mode))
    return make_error(Errc::io, "block " + std::string(cid_text) + " (" + path.string() +
                                    ") is not a regular file");
  if (uint64_t(st.st_size) > bytes_max)
    return make_error(Errc::too_large, "block " + std::string(cid_text) + " (" + path.string() +
                                           ") is " + std::to_string(st.st_size) +
                                           " bytes, over the " + std::to_string(bytes_max) +
                                           "-byte block limit");
  if (stat_out != nullptr) *stat_out = st;
  Bytes out(size_t(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd, out.data() + done, out.size() - done, off_t(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return block_io_error(errno, "reading", cid_text, path);
    }
    if (n == 0)
      return make_error(Errc::io, "block " + std::string(cid_text) + " (" + path.string() +
                                      ") shrank while being read");
    done += size_t(n);
  }
  return out;
}

Status make_dir(const std::filesystem::path& dir, bool* created) {
  *created = false;
  if (::mkdir(dir.c_str(), 0755) == 0) {
    *created = true;
    return {};
  }
  int err = errno;
  struct stat st {};
  if (err == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  if (err == EEXIST)
    return make_error(Errc::exists, dir.string() + " exists and is not a directory");
  return path_error(err, "mkdir", dir);
}

Status fsync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return path_error(errno, "open directory", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return path_error(err, "fsync directory", dir);
  return {};
}

}  // namespace agora::store
