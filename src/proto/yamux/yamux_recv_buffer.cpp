#include "proto/yamux/yamux_recv_buffer.h"

#include <algorithm>
#include <cstring>

namespace agora::yamux {
namespace {
// Frames at least this large get a pooled full-size chunk.
constexpr size_t kPooledFrameBytesMin = YamuxChunkPool::kChunkBytes / 4;
constexpr size_t kSmallChunkBytesMin = 1024;
}  // namespace

std::unique_ptr<uint8_t[]> YamuxChunkPool::get() {
  if (free_.empty()) return std::make_unique_for_overwrite<uint8_t[]>(kChunkBytes);
  std::unique_ptr<uint8_t[]> chunk = std::move(free_.back());
  free_.pop_back();
  return chunk;
}

void YamuxChunkPool::put(std::unique_ptr<uint8_t[]> chunk) {
  if (free_.size() < kFreeChunksMax) free_.push_back(std::move(chunk));
}

void YamuxRecvBuffer::push_chunk(size_t frame_bytes_left, YamuxChunkPool& pool) {
  if (count_ == ring_.size()) {
    std::vector<Chunk> grown(std::max<size_t>(4, ring_.size() * 2));
    for (size_t i = 0; i < count_; ++i) grown[i] = std::move(at(i));
    ring_ = std::move(grown);
    head_ = 0;
  }
  Chunk& chunk = ring_[(head_ + count_) % ring_.size()];
  if (frame_bytes_left >= kPooledFrameBytesMin) {
    chunk.data = pool.get();
    chunk.capacity = YamuxChunkPool::kChunkBytes;
  } else {
    chunk.capacity = static_cast<uint32_t>(std::max(frame_bytes_left, kSmallChunkBytesMin));
    chunk.data = std::make_unique_for_overwrite<uint8_t[]>(chunk.capacity);
  }
  chunk.begin = chunk.end = 0;
  ++count_;
}

void YamuxRecvBuffer::pop_chunk(YamuxChunkPool& pool) {
  Chunk& chunk = at(0);
  if (chunk.capacity == YamuxChunkPool::kChunkBytes) {
    pool.put(std::move(chunk.data));
  } else {
    chunk.data.reset();
  }
  head_ = (head_ + 1) % ring_.size();
  --count_;
}

void YamuxRecvBuffer::append(const uint8_t* data, size_t n, size_t frame_bytes_left,
                             YamuxChunkPool& pool) {
  while (n > 0) {
    if (count_ == 0 || at(count_ - 1).end == at(count_ - 1).capacity) {
      push_chunk(frame_bytes_left, pool);
    }
    Chunk& tail = at(count_ - 1);
    size_t take = std::min<size_t>(n, tail.capacity - tail.end);
    std::memcpy(tail.data.get() + tail.end, data, take);
    tail.end += static_cast<uint32_t>(take);
    data += take;
    n -= take;
    frame_bytes_left -= take;
    size_ += take;
  }
}

size_t YamuxRecvBuffer::read(uint8_t* out, size_t max, YamuxChunkPool& pool) {
  size_t copied = 0;
  while (copied < max && count_ > 0) {
    Chunk& head = at(0);
    size_t take = std::min<size_t>(max - copied, head.end - head.begin);
    std::memcpy(out + copied, head.data.get() + head.begin, take);
    head.begin += static_cast<uint32_t>(take);
    copied += take;
    // A drained chunk goes back unless it is the tail still being filled with room left.
    if (head.begin == head.end && (count_ > 1 || head.end == head.capacity)) pop_chunk(pool);
    if (take == 0) break;
  }
  size_ -= copied;
  if (size_ == 0 && count_ == 1) pop_chunk(pool);  // nothing buffered: hold no memory
  return copied;
}

void YamuxRecvBuffer::clear(YamuxChunkPool& pool) {
  while (count_ > 0) pop_chunk(pool);
  size_ = 0;
}

size_t YamuxRecvBuffer::capacity_bytes() const {
  size_t total = 0;
  for (size_t i = 0; i < count_; ++i) total += ring_[(head_ + i) % ring_.size()].capacity;
  return total;
}

}  // namespace agora::yamux
