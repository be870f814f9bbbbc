#include "node/disk_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace agora {

DiskWriter::DiskWriter(int fd, int direct_fd, std::string what, Config config)
    : fd_(fd), direct_fd_(direct_fd), what_(std::move(what)), config_(config) {
  thread_ = std::thread([this] { run(); });
}

DiskWriter::~DiskWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

DiskWriter::Stats DiskWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

// A free buffer large enough, or a new one: the same pages are written again and again, so the
// copy into them does not fault in fresh memory per leaf.
DiskWriter::Buffer DiskWriter::take_buffer(size_t length) {
  for (size_t i = 0; i < free_.size(); ++i) {
    if (free_[i].capacity < length) continue;
    Buffer b = std::move(free_[i]);
    free_.erase(free_.begin() + std::ptrdiff_t(i));
    return b;
  }
  if (!free_.empty()) free_.pop_back();  // too small for this length: let one go
  size_t align = config_.direct_align_bytes;
  size_t capacity = (length + align - 1) / align * align;
  Buffer b;
  b.bytes = {static_cast<uint8_t*>(std::aligned_alloc(align, capacity)), std::free};
  b.capacity = b.bytes ? capacity : 0;
  return b;
}

Status DiskWriter::write(uint64_t offset, BytesView data) {
  std::unique_lock<std::mutex> lock(mu_);
  if (data.empty()) return error_;
  changed_.wait(lock, [&] {
    return !error_.ok() || (queue_.empty() && !busy_) ||
           queued_bytes_ + data.size() <= config_.queued_bytes_max;
  });
  if (!error_.ok()) return error_;
  Buffer buffer = take_buffer(data.size());
  if (!buffer.bytes) return make_error(Errc::io, what_ + ": out of memory for a write buffer");
  std::memcpy(buffer.bytes.get(), data.data(), data.size());
  queue_.push_back(Job{offset, data.size(), std::move(buffer)});
  queued_bytes_ += data.size();
  lock.unlock();
  changed_.notify_all();
  return {};
}

Status DiskWriter::flush() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
  return error_;
}

void DiskWriter::run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left to write
    Job job = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    if (error_.ok()) perform(job);  // error_ only changes on this thread
    lock.lock();
    busy_ = false;
    queued_bytes_ -= job.length;
    size_t kept = 0;
    for (const Buffer& b : free_) kept += b.capacity;
    if (kept + job.buffer.capacity <= config_.queued_bytes_max)
      free_.push_back(std::move(job.buffer));
    changed_.notify_all();
  }
}

void DiskWriter::perform(const Job& job) {
  size_t align = config_.direct_align_bytes;
  bool aligned = job.offset % align == 0 && job.length % align == 0;
  if (direct_fd_ >= 0 && aligned) {
    Status st = write_all(direct_fd_, job.buffer.bytes.get(), job.length, job.offset);
    if (st.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.direct_bytes += job.length;
      return;
    }
    if (errno != EINVAL) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = std::move(st);
      return;
    }
    direct_fd_ = -1;  // this file system wants buffered writes: from now on, all of them
  }
  Status st = write_all(fd_, job.buffer.bytes.get(), job.length, job.offset);
  std::lock_guard<std::mutex> lock(mu_);
  if (st.ok())
    stats_.buffered_bytes += job.length;
  else
    error_ = std::move(st);
}

Status DiskWriter::write_all(int fd, const uint8_t* data, size_t length, uint64_t offset) {
  while (length > 0) {
    ssize_t n = ::pwrite(fd, data, length, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : EIO;
      Error e = make_error(Errc::io, what_ + ": write: " + std::strerror(saved));
      errno = saved;
      return e;
    }
    data += n;
    length -= size_t(n);
    offset += uint64_t(n);
  }
  return {};
}

}  // namespace agora
