// Crash-safe file writes and bounded reads on POSIX.
#include "store/file_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace agora::store {
namespace {

Error sys_error(const std::filesystem::path& path, const char* what) {
  int err = errno;
  Errc code = err == ENOENT ? Errc::not_found : err == EEXIST ? Errc::exists : Errc::io;
  return make_error(code, path.string() + ": " + what + ": " + std::strerror(err));
}

// Closes the descriptor on every path out of a function.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status write_all(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(path, "write");
    }
    data.remove_prefix(size_t(n));
  }
  return {};
}

Status fsync_dir(const std::filesystem::path& dir) {
  Fd d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return sys_error(dir, "open directory");
  if (::fsync(d.fd) != 0) return sys_error(dir, "fsync directory");
  return {};
}

}  // namespace

Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  {
    Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode)};
    if (f.fd < 0) return sys_error(tmp, "create");
    Status st = [&]() -> Status {
      if (::fchmod(f.fd, mode) != 0) return sys_error(tmp, "chmod");
      AGORA_TRY(write_all(f.fd, content, tmp));
      if (::fsync(f.fd) != 0) return sys_error(tmp, "fsync");
      return {};
    }();
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = sys_error(path, "rename");
    ::unlink(tmp.c_str());
    return e;
  }
  return fsync_dir(path.parent_path());
}

Result<std::string> read_file(const std::filesystem::path& path, size_t bytes_max) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return sys_error(path, "open");
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return sys_error(path, "stat");
  if (!S_ISREG(st.st_mode))
    return make_error(Errc::invalid_input, path.string() + ": not a regular file");
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(path, "read");
    }
    if (n == 0) break;
    if (out.size() + size_t(n) > bytes_max) {
      return make_error(Errc::too_large,
                        path.string() + ": larger than " + std::to_string(bytes_max) + " bytes");
    }
    out.append(buf, size_t(n));
  }
  return out;
}

Status check_private_mode(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return sys_error(path, "stat");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    return make_error(Errc::invalid_input,
                      path.string() + " is accessible by group or others (mode " + mode +
                          "); it holds a secret. Fix it with: chmod 600 " + path.string());
  }
  return {};
}

namespace {
constexpr int kMoveAsideSuffixesMax = 1000;
}  // namespace

// Moves `from` into `dir` without replacing anything there.
Result<std::filesystem::path> move_aside(const std::filesystem::path& from,
                                         const std::filesystem::path& dir) {
  std::string base = from.filename().string();
  for (int i = 0; i < kMoveAsideSuffixesMax; ++i) {
    std::filesystem::path to = dir / (i == 0 ? base : base + "." + std::to_string(i));
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return to;
    if (errno == EEXIST) continue;
    if (errno == EINVAL) {  // the filesystem lacks RENAME_NOREPLACE: check, then rename
      std::error_code ec;
      if (std::filesystem::exists(to, ec)) continue;
      if (::rename(from.c_str(), to.c_str()) == 0) return to;
    }
    return make_error(Errc::io, "cannot move " + from.string() + " to " + to.string() + ": " +
                                    std::strerror(errno));
  }
  return make_error(Errc::exists, "cannot move " + from.string() + " into " + dir.string() +
                                      ": too many files of that name");
}

}  // namespace agora::store
