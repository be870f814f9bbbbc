// The fuzzers' reader of their input: bytes, big-endian u32s, spans and short texts, each
// returning zeros or empty once the input runs out (so an operation sequence just ends).
// check() aborts on a broken invariant, which libFuzzer reports as a crash.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/bytes.h"

namespace agora::fuzz {

inline void check(bool ok) {
  if (!ok) std::abort();
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }
  BytesView take(size_t n) {
    n = std::min(n, size_ - pos_);
    BytesView out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  // Up to `max` bytes as text; the length comes from the next byte.
  std::string text(size_t max) {
    size_t len = byte() % (max + 1);
    BytesView bytes = take(len);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace agora::fuzz
