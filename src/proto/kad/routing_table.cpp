#include "proto/kad/routing_table.h"

#include <algorithm>
#include <cassert>

namespace agora::kad {
namespace {

// Grow a bucket vector towards `max` without overshooting it (vector doubling would leave a
// full k = 20 bucket with room for 32 entries).
void reserve_one_more(std::vector<RoutingEntry>& v, size_t max) {
  if (v.size() < v.capacity()) return;
  v.reserve(std::min(max, std::max<size_t>(4, v.capacity() * 2)));
}

}  // namespace

RoutingTable::RoutingTable(const PeerId& self, RoutingConfig config)
    : self_(self), self_key_(Key::of(self)), config_(config) {
  assert(config_.k > 0);
}

RoutingTable::Bucket* RoutingTable::bucket_for(const Key& key) {
  const int cpl = common_prefix_length(self_key_, key);
  if (cpl >= kKeyBits) return nullptr;  // our own key
  if (size_t(cpl) >= buckets_.size()) buckets_.resize(size_t(cpl) + 1);
  return &buckets_[size_t(cpl)];
}

void RoutingTable::set_addrs(RoutingEntry& entry, const std::vector<Bytes>& addrs) const {
  // Keep what the peer told us last; an empty list (e.g. we only know its id) keeps the old ones.
  if (addrs.empty()) return;
  entry.addrs.clear();
  for (const Bytes& a : addrs) {
    if (entry.addrs.size() >= config_.addrs_per_peer_max) break;
    if (a.size() <= config_.addr_bytes_max) entry.addrs.push_back(a);
  }
  entry.addrs.shrink_to_fit();
}

RoutingEntry RoutingTable::make_entry(const PeerInfo& peer, const Key& key, Instant now) const {
  RoutingEntry e{key, peer.id, {}, now, now};
  set_addrs(e, peer.addrs);
  return e;
}

UpdateResult RoutingTable::update(const PeerInfo& peer, Instant now) {
  const Key key = Key::of(peer.id);
  Bucket* b = bucket_for(key);
  if (b == nullptr || peer.id.empty()) return {UpdateOutcome::ignored, std::nullopt};

  auto it = std::find_if(b->entries.begin(), b->entries.end(),
                         [&](const RoutingEntry& e) { return e.id == peer.id; });
  if (it != b->entries.end()) {
    RoutingEntry e = std::move(*it);
    b->entries.erase(it);
    e.last_seen = now;
    set_addrs(e, peer.addrs);
    b->entries.push_back(std::move(e));
    return {UpdateOutcome::refreshed, std::nullopt};
  }
  if (b->entries.size() < config_.k) {
    reserve_one_more(b->entries, config_.k);
    b->entries.push_back(make_entry(peer, key, now));
    ++size_;
    return {UpdateOutcome::inserted, std::nullopt};
  }

  // Full: remember the newcomer as the newest replacement.
  auto rit = std::find_if(b->replacements.begin(), b->replacements.end(),
                          [&](const RoutingEntry& e) { return e.id == peer.id; });
  RoutingEntry candidate = make_entry(peer, key, now);
  if (rit != b->replacements.end()) {
    candidate.added = rit->added;
    if (peer.addrs.empty()) candidate.addrs = std::move(rit->addrs);
    b->replacements.erase(rit);
  }
  if (config_.replacements_max > 0) {
    if (b->replacements.size() >= config_.replacements_max)
      b->replacements.erase(b->replacements.begin());
    reserve_one_more(b->replacements, config_.replacements_max);
    b->replacements.push_back(std::move(candidate));
  }
  const RoutingEntry& oldest = b->entries.front();
  // Checked already, or seen so recently that it is presumably alive: the newcomer waits.
  if (b->checking || now - oldest.last_seen < config_.liveness_check_after)
    return {UpdateOutcome::pending, std::nullopt};
  b->checking = oldest.id;
  return {UpdateOutcome::check_needed, oldest.info()};
}

bool RoutingTable::touch(const PeerId& peer, Instant now) {
  if (peer.empty()) return false;
  Bucket* b = bucket_for(Key::of(peer));
  if (b == nullptr) return false;
  auto it = std::find_if(b->entries.begin(), b->entries.end(),
                         [&](const RoutingEntry& e) { return e.id == peer; });
  if (it == b->entries.end()) return false;
  RoutingEntry e = std::move(*it);
  b->entries.erase(it);
  e.last_seen = now;
  b->entries.push_back(std::move(e));
  return true;
}

RemoveResult RoutingTable::remove_at(Bucket& b, size_t index, Instant now) {
  assert(index < b.entries.size());
  if (b.checking == b.entries[index].id) b.checking.reset();
  b.entries.erase(b.entries.begin() + std::ptrdiff_t(index));
  --size_;
  RemoveResult result{true, std::nullopt};
  if (!b.replacements.empty()) {
    RoutingEntry e = std::move(b.replacements.back());
    b.replacements.pop_back();
    e.last_seen = now;
    result.promoted = e.info();
    b.entries.push_back(std::move(e));
    ++size_;
  }
  if (b.replacements.empty()) b.replacements = {};  // give the memory back
  return result;
}

RemoveResult RoutingTable::on_liveness_result(const PeerId& peer, bool alive, Instant now) {
  if (peer.empty()) return {};
  const int cpl = common_prefix_length(self_key_, Key::of(peer));
  if (cpl >= kKeyBits || size_t(cpl) >= buckets_.size()) return {};
  Bucket& b = buckets_[size_t(cpl)];
  if (b.checking == peer) b.checking.reset();
  auto it = std::find_if(b.entries.begin(), b.entries.end(),
                         [&](const RoutingEntry& e) { return e.id == peer; });
  if (it == b.entries.end()) return {};
  if (alive) {
    touch(peer, now);
    return {};
  }
  return remove_at(b, size_t(it - b.entries.begin()), now);
}

RemoveResult RoutingTable::remove(const PeerId& peer, Instant now) {
  if (peer.empty()) return {};
  const int cpl = common_prefix_length(self_key_, Key::of(peer));
  if (cpl >= kKeyBits || size_t(cpl) >= buckets_.size()) return {};
  Bucket& b = buckets_[size_t(cpl)];
  auto it = std::find_if(b.entries.begin(), b.entries.end(),
                         [&](const RoutingEntry& e) { return e.id == peer; });
  if (it != b.entries.end()) return remove_at(b, size_t(it - b.entries.begin()), now);
  auto rit = std::find_if(b.replacements.begin(), b.replacements.end(),
                          [&](const RoutingEntry& e) { return e.id == peer; });
  if (rit != b.replacements.end()) b.replacements.erase(rit);
  return {};
}

void RoutingTable::mark_lookup(const Key& target, Instant now) {
  const int cpl = common_prefix_length(self_key_, target);
  // A lookup for a key deeper than our deepest bucket walks that bucket's region too.
  const size_t index = std::min(size_t(cpl), buckets_.empty() ? 0 : buckets_.size() - 1);
  if (index < buckets_.size()) buckets_[index].last_lookup = now;
}

std::optional<Instant> RoutingTable::last_lookup(size_t cpl) const {
  if (cpl >= buckets_.size()) return std::nullopt;
  return buckets_[cpl].last_lookup;
}

// Entries of bucket i share exactly i bits with us. For a target sharing c bits with us, bucket
// c holds the closest entries (they share more than c bits with the target), then buckets past c
// (exactly c bits with the target), then buckets c-1, c-2, ..., 0, each farther than the last.
// So only the groups needed to reach n are sorted.
std::vector<RoutingEntry> RoutingTable::closest(const Key& target, size_t n) const {
  std::vector<RoutingEntry> out;
  if (n == 0 || size_ == 0) return out;
  const size_t c = size_t(std::min(common_prefix_length(self_key_, target), kKeyBits - 1));
  std::vector<const RoutingEntry*> group;
  auto flush = [&] {
    std::sort(group.begin(), group.end(), [&](const RoutingEntry* a, const RoutingEntry* b) {
      return distance(a->key, target) < distance(b->key, target);
    });
    for (const RoutingEntry* e : group) {
      if (out.size() >= n) break;
      out.push_back(*e);
    }
    group.clear();
  };
  if (c < buckets_.size()) {
    for (const RoutingEntry& e : buckets_[c].entries) group.push_back(&e);
    flush();
    for (size_t i = c + 1; i < buckets_.size(); ++i)
      for (const RoutingEntry& e : buckets_[i].entries) group.push_back(&e);
    flush();
  }
  for (size_t i = std::min(c, buckets_.size()); i-- > 0 && out.size() < n;) {
    for (const RoutingEntry& e : buckets_[i].entries) group.push_back(&e);
    flush();
  }
  return out;
}

const RoutingEntry* RoutingTable::find(const PeerId& peer) const {
  if (peer.empty()) return nullptr;
  const int cpl = common_prefix_length(self_key_, Key::of(peer));
  if (cpl >= kKeyBits || size_t(cpl) >= buckets_.size()) return nullptr;
  for (const RoutingEntry& e : buckets_[size_t(cpl)].entries)
    if (e.id == peer) return &e;
  return nullptr;
}

bool RoutingTable::contains(const PeerId& peer) const { return find(peer) != nullptr; }

size_t RoutingTable::bucket_size(size_t cpl) const {
  return cpl < buckets_.size() ? buckets_[cpl].entries.size() : 0;
}

size_t RoutingTable::replacement_count(size_t cpl) const {
  return cpl < buckets_.size() ? buckets_[cpl].replacements.size() : 0;
}

bool RoutingTable::checking(size_t cpl) const {
  return cpl < buckets_.size() && buckets_[cpl].checking.has_value();
}

std::vector<RoutingEntry> RoutingTable::entries() const {
  std::vector<RoutingEntry> out;
  out.reserve(size_);
  for (const Bucket& b : buckets_) out.insert(out.end(), b.entries.begin(), b.entries.end());
  return out;
}

}  // namespace agora::kad
