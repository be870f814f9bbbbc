#include "proto/yamux/yamux_recv_buffer.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>
#include <vector>

namespace agora::yamux {
namespace {

TEST(YamuxRecvBuffer, PreservesBytesAcrossChunksAndReads) {
  YamuxChunkPool pool;
  YamuxRecvBuffer buffer;
  std::vector<uint8_t> sent(300 * 1024);
  std::iota(sent.begin(), sent.end(), uint8_t{0});
  std::vector<uint8_t> received;
  std::mt19937 rng(7);
  size_t offset = 0;
  while (offset < sent.size() || !buffer.empty()) {
    if (offset < sent.size()) {
      // A "frame" of random size delivered in random pieces.
      size_t frame = std::min<size_t>(sent.size() - offset, 1 + rng() % 100000);
      size_t left = frame;
      while (left > 0) {
        size_t piece = std::min<size_t>(left, 1 + rng() % 30000);
        buffer.append(sent.data() + offset, piece, left, pool);
        offset += piece;
        left -= piece;
      }
    }
    uint8_t out[40000];
    size_t n = buffer.read(out, 1 + rng() % sizeof(out), pool);
    received.insert(received.end(), out, out + n);
  }
  EXPECT_EQ(received, sent);
  EXPECT_EQ(buffer.capacity_bytes(), 0u);  // drained buffers hold no chunks
  EXPECT_LE(pool.free_bytes(), YamuxChunkPool::kFreeChunksMax * YamuxChunkPool::kChunkBytes);
}

TEST(YamuxRecvBuffer, SmallFramesUseSmallChunks) {
  YamuxChunkPool pool;
  YamuxRecvBuffer buffer;
  uint8_t message[20] = {1, 2, 3};
  buffer.append(message, sizeof(message), sizeof(message), pool);
  EXPECT_EQ(buffer.size(), 20u);
  EXPECT_LT(buffer.capacity_bytes(), YamuxChunkPool::kChunkBytes);
  buffer.clear(pool);
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.capacity_bytes(), 0u);
}

}  // namespace
}  // namespace agora::yamux
