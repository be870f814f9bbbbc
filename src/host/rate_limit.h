// A token bucket in bytes, for bandwidth limits ([limits] upload/download_bytes_per_second, the
// whole node and each connection). Sans-I/O: the caller passes the time.
//
// The bucket refills at rate_bytes_per_s up to burst_bytes. A write must go out whole, so take()
// may put the bucket in debt; delay() is how long until it is out of debt, which is how long the
// writer waits before its next write. A reader asks available() and reads at most that (nothing
// while in debt): the peer's sending then stops at TCP's window, which is the backpressure.
// A rate of 0 is no limit: available() is unbounded and delay() zero.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "base/time.h"

namespace agora::host {

class RateLimit {
 public:
  RateLimit() = default;
  // burst_bytes 0: a quarter second's worth, at least 64 KiB.
  RateLimit(uint64_t rate_bytes_per_s, uint64_t burst_bytes = 0)
      : rate_(double(rate_bytes_per_s)),
        burst_(burst_bytes > 0 ? double(burst_bytes)
                               : std::max(double(rate_bytes_per_s) / 4, 64.0 * 1024)),
        tokens_(burst_) {}

  bool unlimited() const { return rate_ == 0; }

  uint64_t available(Instant now) {
    if (unlimited()) return std::numeric_limits<uint64_t>::max();
    refill(now);
    return tokens_ > 0 ? uint64_t(tokens_) : 0;
  }
  void take(uint64_t bytes, Instant now) {
    if (unlimited()) return;
    refill(now);
    tokens_ -= double(bytes);
  }
  Duration delay(Instant now) {
    if (unlimited()) return Duration::zero();
    refill(now);
    if (tokens_ >= 0) return Duration::zero();
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(-tokens_ / rate_));
  }

 private:
  void refill(Instant now) {
    if (now <= last_) {
      if (last_ == Instant{}) last_ = now;
      return;
    }
    tokens_ =
        std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

  double rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  Instant last_{};
};

}  // namespace agora::host
