// The run's trace: one canonical text line per simulated event, hashed with SHA-256.
//
// Two runs with the same scenario and seed must produce the same lines, so the hash pins down
// determinism in one value. Lines hold virtual times and node indices only, never wall time,
// memory or pointers. Optionally the lines are also written to a file to diff two runs.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>

#include "crypto/sha256.h"

namespace agora::sim {

class Trace {
 public:
  Trace() = default;
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // Also writes every line to `path`. Errc::io when it cannot be opened.
  Status open_file(const std::string& path);

  template <class... Args>
  void line(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(buffer_), format, std::forward<Args>(args)...);
    buffer_.push_back('\n');
    ++lines_;
    if (buffer_.size() >= kFlushBytes) flush();
  }

  uint64_t lines() const { return lines_; }
  // Hex SHA-256 of all lines so far; ends the trace (later lines start a new hash).
  std::string finish();

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  void flush();

  fmt::memory_buffer buffer_;
  crypto::Sha256 hash_;
  std::FILE* file_ = nullptr;
  uint64_t lines_ = 0;
};

}  // namespace agora::sim
