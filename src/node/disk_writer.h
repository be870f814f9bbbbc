// A file's writes on a thread of their own, so the event loop never waits for the disk.
//
// write() copies the bytes into a reusable page-aligned buffer, queues them and returns; the
// writer thread writes them at their offset. flush() waits until every queued write is in the
// file and returns the first error any of them met (errors are sticky: every later call returns
// it too). Writes that cover whole 4 KiB pages at a page offset go through an O_DIRECT descriptor:
// the bytes go from the buffer to the device with no second copy into the page cache. On the
// 2-core test VM that copy cost about 2 CPU seconds per GiB on fresh pages (docs/benchmarks.md,
// "Writing leaves"). Other writes, and every write once the file system refuses O_DIRECT (EINVAL,
// as tmpfs may), are buffered pwrite()s.
//
// Bounds: at most `queued_bytes_max` bytes wait; write() blocks its caller until there is room
// (the disk's back-pressure; one write larger than the bound waits for an empty queue). Buffers
// kept for reuse total at most that bound too.
//
// Threads: one caller thread at a time (write, flush, the destructor); the writer thread is
// internal. The destructor lets queued writes finish, then joins; call flush() first to see their
// errors. Neither descriptor is owned.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace agora {

class DiskWriter {
 public:
  struct Config {
    size_t queued_bytes_max = size_t(16) << 20;
    size_t direct_align_bytes = 4096;  // O_DIRECT's offset, length and address alignment
  };
  struct Stats {
    uint64_t direct_bytes = 0;    // written through O_DIRECT
    uint64_t buffered_bytes = 0;  // written through the page cache
  };

  // `fd`: open for writing. `direct_fd`: the same file opened with O_DIRECT, or -1. `what` names
  // the file in errors.
  DiskWriter(int fd, int direct_fd, std::string what, Config config);
  DiskWriter(int fd, int direct_fd, std::string what) : DiskWriter(fd, direct_fd, what, Config{}) {}
  ~DiskWriter();
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  Status write(uint64_t offset, BytesView data);
  Status flush();
  Stats stats() const;

 private:
  struct Buffer {
    std::unique_ptr<uint8_t, void (*)(void*)> bytes{nullptr, nullptr};
    size_t capacity = 0;
  };
  struct Job {
    uint64_t offset = 0;
    size_t length = 0;
    Buffer buffer;
  };

  Buffer take_buffer(size_t length);  // under mu_
  void run();
  void perform(const Job& job);  // on the writer thread, without mu_
  Status write_all(int fd, const uint8_t* data, size_t length, uint64_t offset);

  const int fd_;
  int direct_fd_;  // -1 once O_DIRECT was refused; touched by the writer thread only
  const std::string what_;
  const Config config_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  std::vector<Buffer> free_;
  size_t queued_bytes_ = 0;
  bool busy_ = false;  // the writer holds a job outside the queue
  bool stopping_ = false;
  Status error_;
  Stats stats_;
  std::thread thread_;
};

}  // namespace agora
