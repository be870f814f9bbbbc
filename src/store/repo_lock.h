// One daemon per repo: an exclusive flock on <root>/repo.lock, held for the daemon's lifetime.
// The kernel drops the lock when the process dies, so a crash never leaves a stale lock; the pid
// written into the file only serves the error message of the next daemon.
#pragma once

#include <filesystem>

#include "base/result.h"

namespace agora::store {

inline constexpr const char* kRepoLockFile = "repo.lock";

class RepoLock {
 public:
  // Errc::exists with "repo X is in use by another agora daemon (pid N)" when already held, by
  // this process or another one.
  static Result<RepoLock> acquire(const std::filesystem::path& root);

  RepoLock(RepoLock&& other) noexcept;
  RepoLock& operator=(RepoLock&& other) noexcept;
  RepoLock(const RepoLock&) = delete;
  RepoLock& operator=(const RepoLock&) = delete;
  ~RepoLock();

  bool held() const { return fd_ >= 0; }
  void release();

 private:
  explicit RepoLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace agora::store
