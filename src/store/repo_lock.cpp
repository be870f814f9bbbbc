// flock-based repo lock.
#include "store/repo_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace agora::store {

Result<RepoLock> RepoLock::acquire(const std::filesystem::path& root) {
  std::filesystem::path path = root / kRepoLockFile;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(errno == ENOENT ? Errc::not_found : Errc::io,
                      path.string() + ": open: " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder;
    if (err == EWOULDBLOCK) {
      char buf[32] = {};
      ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      for (ssize_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; ++i) holder += buf[i];
    }
    ::close(fd);
    if (err != EWOULDBLOCK) {
      return make_error(Errc::io, path.string() + ": flock: " + std::strerror(err));
    }
    return make_error(Errc::exists, "repo " + root.string() +
                                        " is in use by another agora daemon (pid " +
                                        (holder.empty() ? "unknown" : holder) + ")");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != ssize_t(pid.size())) {
    int err = errno;
    ::close(fd);
    return make_error(Errc::io, path.string() + ": write pid: " + std::strerror(err));
  }
  return RepoLock(fd);
}

RepoLock::RepoLock(RepoLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

RepoLock& RepoLock::operator=(RepoLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

RepoLock::~RepoLock() { release(); }

void RepoLock::release() {
  if (fd_ < 0) return;
  // Clear the pid first so nobody reports a process that no longer holds the repo.
  if (::ftruncate(fd_, 0) != 0) {
    // Nothing useful to do: closing still releases the lock.
  }
  ::close(fd_);  // closing the last descriptor releases the flock
  fd_ = -1;
}

}  // namespace agora::store
