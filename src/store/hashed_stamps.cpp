#include "store/hashed_stamps.h"

#include <algorithm>
#include <cstring>

namespace agora::store {

FileStamp file_stamp(const struct stat& st, uint64_t offset) {
  auto ns = [](const timespec& t) { return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  return FileStamp{uint64_t(st.st_dev), uint64_t(st.st_ino), uint64_t(st.st_size),
                   ns(st.st_mtim),      ns(st.st_ctim),      offset};
}

size_t HashedStamps::KeyHash::operator()(const Key& k) const {
  size_t h;
  std::memcpy(&h, k.data(), sizeof h);  // a digest's bytes are already uniform
  return h;
}

namespace {
bool keyable(const Multihash& hash) { return hash.code == kMhSha2_256 && hash.digest.size() == 32; }
}  // namespace

bool HashedStamps::fresh(const Multihash& hash, const FileStamp& stamp, Clock::time_point now) {
  if (!keyable(hash) || config_.ttl.count() == 0) return false;
  Key key;
  std::copy(hash.digest.begin(), hash.digest.end(), key.begin());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  return it != entries_.end() && it->second.stamp == stamp && now - it->second.at <= config_.ttl;
}

void HashedStamps::remember_hashed(const Multihash& hash, const FileStamp& stamp,
                                   Clock::time_point now) {
  auto changed_ns = std::max(stamp.mtime_ns, stamp.ctime_ns);
  auto window_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(config_.racy_window);
  auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  if (now_ns.count() - changed_ns < window_ns.count()) return;  // may change unseen in its tick
  insert(hash, stamp, now);
}

void HashedStamps::remember_written(const Multihash& hash, const FileStamp& stamp,
                                    Clock::time_point now) {
  insert(hash, stamp, now);
}

void HashedStamps::insert(const Multihash& hash, const FileStamp& stamp, Clock::time_point now) {
  if (!keyable(hash) || config_.ttl.count() == 0 || config_.entries_max == 0) return;
  Key key;
  std::copy(hash.digest.begin(), hash.digest.end(), key.begin());
  std::lock_guard<std::mutex> lock(mu_);
  entries_[key] = Entry{stamp, now};
  order_.emplace_back(key, now);
  // The oldest go first. A key remembered again leaves a stale record behind, skipped here; the
  // records are bounded too, at twice the entries.
  while (entries_.size() > config_.entries_max || order_.size() > 2 * config_.entries_max) {
    auto [old_key, old_at] = order_.front();
    order_.pop_front();
    auto it = entries_.find(old_key);
    if (it != entries_.end() && it->second.at == old_at) entries_.erase(it);
  }
}

bool HashedStamps::verify(const Multihash& hash, const FileStamp& stamp, BytesView data,
                          bool store_wrote_it, Clock::time_point now) {
  if (fresh(hash, stamp, now)) return true;
  if (hash.code != kMhSha2_256 || multihash_sha2_256(data).digest != hash.digest) {
    forget(hash);
    return false;
  }
  if (store_wrote_it)
    remember_written(hash, stamp, now);
  else
    remember_hashed(hash, stamp, now);
  return true;
}

void HashedStamps::forget(const Multihash& hash) {
  if (!keyable(hash)) return;
  Key key;
  std::copy(hash.digest.begin(), hash.digest.end(), key.begin());
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(key);
}

size_t HashedStamps::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace agora::store
