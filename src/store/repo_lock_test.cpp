#include "store/repo_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "store/test_dir.h"

namespace agora::store {
namespace {

// Runs acquire() in a forked child and returns its exit code: 0 ok, 1 "in use" with our pid in
// the message, 2 any other outcome.
int acquire_in_child(const std::filesystem::path& root) {
  pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child == 0) {
    auto lock = RepoLock::acquire(root);
    int code = 2;
    if (lock.ok()) {
      code = 0;
    } else if (lock.error().code == Errc::exists &&
               lock.error().message == "repo " + root.string() +
                                           " is in use by another agora daemon (pid " +
                                           std::to_string(parent) + ")") {
      code = 1;
    }
    ::_exit(code);
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(RepoLock, SecondAcquireInSameProcessFails) {
  TestDir dir;
  auto first = RepoLock::acquire(dir.path());
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  auto second = RepoLock::acquire(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::exists);
  EXPECT_EQ(second.error().message, "repo " + dir.path().string() +
                                        " is in use by another agora daemon (pid " +
                                        std::to_string(::getpid()) + ")");
}

TEST(RepoLock, OtherProcessIsRefusedWhileHeldAndAllowedAfter) {
  TestDir dir;
  {
    auto lock = RepoLock::acquire(dir.path());
    ASSERT_TRUE(lock.ok());
    EXPECT_EQ(acquire_in_child(dir.path()), 1);
  }
  EXPECT_EQ(acquire_in_child(dir.path()), 0);
}

TEST(RepoLock, MoveKeepsTheLockAndReleaseFreesIt) {
  TestDir dir;
  auto lock = RepoLock::acquire(dir.path());
  ASSERT_TRUE(lock.ok());
  RepoLock moved = std::move(*lock);
  EXPECT_FALSE(lock->held());
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(RepoLock::acquire(dir.path()).ok());
  moved.release();
  EXPECT_FALSE(moved.held());
  auto again = RepoLock::acquire(dir.path());
  EXPECT_TRUE(again.ok());
}

TEST(RepoLock, MissingRepoDirIsAnError) {
  TestDir dir;
  auto lock = RepoLock::acquire(dir.path() / "absent");
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.error().code, Errc::not_found);
}

}  // namespace
}  // namespace agora::store
