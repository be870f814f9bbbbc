// Helpers for blockstore tests: deterministic block contents, file counting, forked children.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <string>

#include "base/bytes.h"
#include "codec/cid.h"

namespace agora::store {

inline Bytes test_block(size_t size_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(size_bytes);
  for (size_t i = 0; i < size_bytes; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < size_bytes; ++j) out[i + j] = uint8_t(v >> (8 * j));
  }
  return out;
}

inline Cid raw_cid(BytesView data) { return Cid::of(data, kCodecRaw); }

// Regular files anywhere under `dir` whose path contains `part` ("" counts all).
inline size_t count_files(const std::filesystem::path& dir, const std::string& part = "") {
  size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().string().find(part) != std::string::npos) ++n;
  }
  return n;
}

// Runs `body` in a forked child (single-threaded, so it may unshare namespaces or change rlimits
// without touching the test process) and returns what it returned: "" for success, else a
// description of the failure. A child that dies returns "child died: ...".
inline std::string run_in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = body();
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) break;
      done += size_t(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buf, size_t(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return "child died: status " + std::to_string(status) + "; said: " + out;
  return out;
}

}  // namespace agora::store
