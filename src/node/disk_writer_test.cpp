#include "node/disk_writer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace agora {
namespace {

namespace fs = std::filesystem;

struct TempFile {
  fs::path path;
  int fd = -1;
  int direct_fd = -1;
  explicit TempFile(uint64_t size) {
    path = fs::temp_directory_path() / ("agora-disk-writer-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, off_t(size)), 0);
    direct_fd = ::open(path.c_str(), O_WRONLY | O_DIRECT);
  }
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (direct_fd >= 0) ::close(direct_fd);
    fs::remove(path);
  }
  Bytes contents() const {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }
};

Bytes random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

// Pieces of a file in random order, some whole pages at page offsets, some not (a last leaf,
// odd chunkers): every byte lands where it belongs, whichever path it took.
TEST(DiskWriter, PiecesInAnyOrderMakeTheFile) {
  const std::vector<size_t> sizes = {262144, 262144, 4096, 1000, 5000, 1048576, 262144, 777};
  size_t total = 0;
  for (size_t s : sizes) total += s;
  Bytes want = random_bytes(total, 1);
  TempFile file(total);
  std::vector<std::pair<uint64_t, size_t>> pieces;
  uint64_t at = 0;
  for (size_t s : sizes) pieces.push_back({std::exchange(at, at + s), s});
  std::shuffle(pieces.begin(), pieces.end(), std::mt19937(7));
  {
    DiskWriter writer(file.fd, file.direct_fd, file.path.string());
    for (auto [offset, size] : pieces)
      ASSERT_TRUE(writer.write(offset, BytesView(want).subspan(offset, size)).ok());
    ASSERT_TRUE(writer.flush().ok());
    DiskWriter::Stats stats = writer.stats();
    EXPECT_EQ(stats.direct_bytes + stats.buffered_bytes, total);
    // The first three pieces are whole pages at page offsets; the rest past offset 528384 are
    // not. Where the file system takes O_DIRECT, the aligned ones went through it.
    if (file.direct_fd >= 0) {
      EXPECT_GT(stats.direct_bytes, 0u);
    }
    EXPECT_GT(stats.buffered_bytes, 0u);
  }
  EXPECT_EQ(file.contents(), want);
}

// A file system that refuses the O_DIRECT write (EINVAL: here, offsets the device cannot take)
// gets buffered writes instead, and the bytes are all there.
TEST(DiskWriter, FallsBackToBufferedWritesWhenDirectIsRefused) {
  Bytes want = random_bytes(3 * 4099, 2);
  TempFile file(want.size());
  if (file.direct_fd < 0) GTEST_SKIP() << "no O_DIRECT on " << file.path;
  DiskWriter::Config config;
  config.direct_align_bytes = 1;  // every write counts as aligned; the device says EINVAL
  DiskWriter writer(file.fd, file.direct_fd, file.path.string(), config);
  for (size_t i = 0; i < 3; ++i)
    ASSERT_TRUE(writer.write(i * 4099 + 1, BytesView(want).subspan(i * 4099 + 1, 4098)).ok());
  ASSERT_TRUE(writer.write(0, BytesView(want).subspan(0, 1)).ok());
  ASSERT_TRUE(writer.write(4099, BytesView(want).subspan(4099, 1)).ok());
  ASSERT_TRUE(writer.write(8198, BytesView(want).subspan(8198, 1)).ok());
  ASSERT_TRUE(writer.flush().ok());
  EXPECT_EQ(writer.stats().direct_bytes, 0u);
  EXPECT_EQ(writer.stats().buffered_bytes, want.size());
  EXPECT_EQ(file.contents(), want);
}

// A write that fails is reported by flush() and by every call after it, never lost.
TEST(DiskWriter, AFailedWriteIsReportedAndSticks) {
  TempFile file(0);
  int read_only = ::open(file.path.c_str(), O_RDONLY);
  ASSERT_GE(read_only, 0);
  {
    DiskWriter writer(read_only, -1, "the output");
    Bytes data = random_bytes(1000, 3);
    ASSERT_TRUE(writer.write(0, data).ok());  // queued: the error comes later
    Status flushed = writer.flush();
    ASSERT_FALSE(flushed.ok());
    EXPECT_EQ(flushed.error().code, Errc::io);
    EXPECT_NE(flushed.error().message.find("the output: write:"), std::string::npos);
    EXPECT_FALSE(writer.write(1000, data).ok());
    EXPECT_FALSE(writer.flush().ok());
  }
  ::close(read_only);
}

// A queue bound smaller than one write still lets every write through, one at a time, and the
// caller waits instead of the queue growing.
TEST(DiskWriter, ABoundSmallerThanAWriteStillWritesEverything) {
  Bytes want = random_bytes(16 * 65536, 4);
  TempFile file(want.size());
  DiskWriter::Config config;
  config.queued_bytes_max = 8192;
  {
    DiskWriter writer(file.fd, file.direct_fd, file.path.string(), config);
    for (size_t i = 0; i < 16; ++i)
      ASSERT_TRUE(writer.write(i * 65536, BytesView(want).subspan(i * 65536, 65536)).ok());
  }  // the destructor lets queued writes finish
  EXPECT_EQ(file.contents(), want);
}

}  // namespace
}  // namespace agora
