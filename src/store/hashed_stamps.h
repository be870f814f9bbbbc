// Which blocks were hashed (or written) lately, and the stamp of the file that held them, so a
// block served again from an unchanged file is not hashed again.
//
// Serving re-hashes every block before it is sent (docs/trust.md): at loopback or 10 GbE rates
// that SHA-256 was the largest cost per byte on the sender, more than the encryption, and a seed
// in a swarm paid it again for every copy it sent. A stamp is what the file system says of the
// file that holds the block: device, inode, size, mtime and ctime in nanoseconds, and for a
// reference the offset in it. Any write, truncation, replacement or rename-over changes it (ctime
// cannot be set by a user), as git and rsync rely on. What a stamp cannot see is a change that
// bypasses the file system (a rotting disk): entries therefore expire after `ttl`, after which
// the block is hashed again, and `repo verify` hashes everything regardless.
//
// A stamp changed less than `racy_window` before it was taken may still change within the same
// timestamp tick without showing (git's "racy" case): such a stamp is not remembered, except for
// files under blocks/, which only this store writes (remember_written).
//
// Bounds: at most `entries_max` entries (about 100 bytes each); the oldest go first.
// Thread-safe.
#pragma once

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "codec/multihash.h"

namespace agora::store {

struct FileStamp {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t offset = 0;  // where the block starts in the file (0 for a block file)
  bool operator==(const FileStamp&) const = default;
};
FileStamp file_stamp(const struct stat& st, uint64_t offset);

struct HashedStampsConfig {
  size_t entries_max = 65536;                   // 16 GiB of 256 KiB blocks
  std::chrono::seconds ttl{3600};               // 0: nothing is remembered, all is re-hashed
  std::chrono::milliseconds racy_window{2000};  // see above
};

class HashedStamps {
 public:
  using Clock = std::chrono::system_clock;  // compared with file times, which are wall time
  explicit HashedStamps(HashedStampsConfig config = {}) : config_(config) {}

  // Whether `hash` was hashed or written at exactly this stamp within the ttl.
  bool fresh(const Multihash& hash, const FileStamp& stamp, Clock::time_point now);
  // The block was just hashed from this file and matched. Racy stamps are skipped.
  void remember_hashed(const Multihash& hash, const FileStamp& stamp, Clock::time_point now);
  // The block was just written, verified, into blocks/ by this store.
  void remember_written(const Multihash& hash, const FileStamp& stamp, Clock::time_point now);
  void forget(const Multihash& hash);
  // Whether `data`, read from a file that had `stamp` before the read, is the block `hash`
  // (sha2-256) names: at once when the stamp is fresh; else hashed, and then remembered (as
  // remember_written when `store_wrote_it`, else as remember_hashed) or forgotten.
  bool verify(const Multihash& hash, const FileStamp& stamp, BytesView data, bool store_wrote_it,
              Clock::time_point now);
  size_t size() const;

 private:
  using Key = std::array<uint8_t, 32>;  // a sha2-256 digest; other hashes are never remembered
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Entry {
    FileStamp stamp;
    Clock::time_point at;
  };
  void insert(const Multihash& hash, const FileStamp& stamp, Clock::time_point now);

  HashedStampsConfig config_;
  mutable std::mutex mu_;
  std::unordered_map<Key, Entry, KeyHash> entries_;
  std::deque<std::pair<Key, Clock::time_point>> order_;  // insertion order, for eviction
};

}  // namespace agora::store
