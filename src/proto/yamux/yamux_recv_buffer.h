// Per-stream receive buffer: a queue of chunks. Payload is copied in once from the wire and
// copied out once by read(); full-size chunks are recycled through a per-session pool so bulk
// transfer does not allocate per frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace agora::yamux {

class YamuxChunkPool {
 public:
  static constexpr size_t kChunkBytes = 64 * 1024;
  static constexpr size_t kFreeChunksMax = 4;  // caps memory held by an idle session

  std::unique_ptr<uint8_t[]> get();
  void put(std::unique_ptr<uint8_t[]> chunk);
  size_t free_bytes() const { return free_.size() * kChunkBytes; }
  void trim() { free_.clear(); }

 private:
  std::vector<std::unique_ptr<uint8_t[]>> free_;
};

class YamuxRecvBuffer {
 public:
  // Copies `n` bytes in. `frame_bytes_left` (>= n) is what remains of the frame's payload: a
  // small frame gets a small chunk, a large one a pooled full-size chunk.
  void append(const uint8_t* data, size_t n, size_t frame_bytes_left, YamuxChunkPool& pool);
  // Copies up to `max` bytes out and releases drained chunks.
  size_t read(uint8_t* out, size_t max, YamuxChunkPool& pool);
  void clear(YamuxChunkPool& pool);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Bytes held in chunks, including unused tails; for memory accounting and tests.
  size_t capacity_bytes() const;

 private:
  struct Chunk {
    std::unique_ptr<uint8_t[]> data;
    uint32_t capacity = 0;
    uint32_t begin = 0;  // next byte to read
    uint32_t end = 0;    // next byte to write
  };
  Chunk& at(size_t i) { return ring_[(head_ + i) % ring_.size()]; }
  void push_chunk(size_t frame_bytes_left, YamuxChunkPool& pool);
  void pop_chunk(YamuxChunkPool& pool);

  std::vector<Chunk> ring_;  // circular; grows by doubling
  size_t head_ = 0;
  size_t count_ = 0;
  size_t size_ = 0;
};

}  // namespace agora::yamux
