#include "proto/kad/routing_table.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "codec/varint.h"

namespace agora::kad {
namespace {

// Grow a bucket vector towards `max` without overshooting it (vector doubling would leave a
// full k = 20 bucket with room for 32 entries).
template <class T>
void reserve_one_more(std::vector<T>& v, size_t max) {
  if (v.size() < v.capacity()) return;
  v.reserve(std::min(max, std::max<size_t>(2, v.capacity() * 2)));
}

template <class T>
auto find_id(std::vector<T>& v, const PeerId& peer) {
  return std::find_if(v.begin(), v.end(), [&](const T& e) { return e.id == peer; });
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

const RoutingTable::Bucket* RoutingTable::existing_bucket(const Key& key) const {
  const int cpl = common_prefix_length(self_key_, key);
  if (cpl >= kKeyBits || size_t(cpl) >= buckets_.size()) return nullptr;
  return &buckets_[size_t(cpl)];
}

RoutingTable::Bucket* RoutingTable::existing_bucket(const PeerId& peer, const Key& key) {
  if (peer.empty()) return nullptr;
  return const_cast<Bucket*>(std::as_const(*this).existing_bucket(key));
}

// Keeps at most addrs_per_peer_max addresses of at most addr_bytes_max bytes.
Bytes RoutingTable::pack_addrs(const std::vector<Bytes>& addrs) const {
  Bytes packed;
  size_t kept = 0;
  for (const Bytes& a : addrs) {
    if (kept >= config_.addrs_per_peer_max) break;
    if (a.size() > config_.addr_bytes_max) continue;
    put_uvarint(packed, a.size());
    append(packed, a);
    ++kept;
  }
  packed.shrink_to_fit();
  return packed;
}

RoutingEntry RoutingTable::unpack(const Slot& slot) {
  RoutingEntry e{slot.key, slot.id, {}, slot.last_seen, slot.added};
  BytesView rest(slot.addrs);
  while (!rest.empty()) {
    auto len = read_uvarint(rest);
    // Written by pack_addrs, so well formed; stop rather than trust a broken invariant.
    assert(len.ok() && len->value <= rest.size() - len->size);
    if (!len.ok() || len->value > rest.size() - len->size) break;
    BytesView a = rest.subspan(len->size, size_t(len->value));
    e.addrs.emplace_back(a.begin(), a.end());
    rest = rest.subspan(len->size + size_t(len->value));
  }
  return e;
}

RoutingTable::Slot RoutingTable::make_slot(const PeerInfo& peer, const Key& key,
                                           Instant now) const {
  return Slot{key, peer.id, pack_addrs(peer.addrs), now, now};
}

UpdateResult RoutingTable::update(const PeerInfo& peer, Instant now, OnFullBucket on_full) {
  const Key key = Key::of(peer.id);
  Bucket* b = peer.id.empty() ? nullptr : bucket_for(key);
  if (b == nullptr) return {UpdateOutcome::ignored, std::nullopt};

  auto it = find_id(b->entries, peer.id);
  if (it != b->entries.end()) {
    Slot s = std::move(*it);
    b->entries.erase(it);
    s.last_seen = now;
    // An empty address list (we only know its id) keeps the known addresses.
    if (!peer.addrs.empty()) s.addrs = pack_addrs(peer.addrs);
    b->entries.push_back(std::move(s));
    return {UpdateOutcome::refreshed, std::nullopt};
  }
  if (b->entries.size() < config_.k) {
    reserve_one_more(b->entries, config_.k);
    b->entries.push_back(make_slot(peer, key, now));
    ++size_;
    return {UpdateOutcome::inserted, std::nullopt};
  }

  // Full: remember the newcomer as the newest replacement.
  Slot candidate = make_slot(peer, key, now);
  auto rit = find_id(b->replacements, peer.id);
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
  const Slot& oldest = b->entries.front();
  // Not ours to check, checked already, or seen so recently that it is presumably alive: the
  // newcomer waits.
  if (on_full == OnFullBucket::wait || b->checking ||
      now - oldest.last_seen < config_.liveness_check_after)
    return {UpdateOutcome::pending, std::nullopt};
  b->checking = oldest.id;
  return {UpdateOutcome::check_needed, unpack(oldest).info()};
}

bool RoutingTable::touch(const PeerId& peer, Instant now) {
  Bucket* b = existing_bucket(peer, Key::of(peer));
  if (b == nullptr) return false;
  auto it = find_id(b->entries, peer);
  if (it == b->entries.end()) return false;
  Slot s = std::move(*it);
  b->entries.erase(it);
  s.last_seen = now;
  b->entries.push_back(std::move(s));
  return true;
}

RemoveResult RoutingTable::remove_at(Bucket& b, size_t index, Instant now) {
  assert(index < b.entries.size());
  if (b.checking == b.entries[index].id) b.checking.reset();
  b.entries.erase(b.entries.begin() + std::ptrdiff_t(index));
  --size_;
  RemoveResult result{true, std::nullopt};
  if (!b.replacements.empty()) {
    Slot s = std::move(b.replacements.back());
    b.replacements.pop_back();
    s.last_seen = now;
    result.promoted = unpack(s).info();
    b.entries.push_back(std::move(s));
    ++size_;
  }
  if (b.replacements.empty()) std::vector<Slot>().swap(b.replacements);  // free it
  return result;
}

RemoveResult RoutingTable::on_liveness_result(const PeerId& peer, bool alive, Instant now) {
  Bucket* b = existing_bucket(peer, Key::of(peer));
  if (b == nullptr) return {};
  if (b->checking == peer) b->checking.reset();
  auto it = find_id(b->entries, peer);
  if (it == b->entries.end()) return {};
  if (alive) {
    touch(peer, now);
    return {};
  }
  return remove_at(*b, size_t(it - b->entries.begin()), now);
}

RemoveResult RoutingTable::remove(const PeerId& peer, Instant now) {
  Bucket* b = existing_bucket(peer, Key::of(peer));
  if (b == nullptr) return {};
  auto it = find_id(b->entries, peer);
  if (it != b->entries.end()) return remove_at(*b, size_t(it - b->entries.begin()), now);
  auto rit = find_id(b->replacements, peer);
  if (rit != b->replacements.end()) b->replacements.erase(rit);
  return {};
}

void RoutingTable::mark_lookup(const Key& target, Instant now) {
  if (buckets_.empty()) return;
  // A lookup for a key deeper than our deepest bucket walks that bucket's region too.
  const size_t cpl = size_t(common_prefix_length(self_key_, target));
  buckets_[std::min(cpl, buckets_.size() - 1)].last_lookup = now;
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
  std::vector<std::pair<Distance, const Slot*>> group;
  auto add = [&](const Bucket& b) {
    for (const Slot& s : b.entries) group.emplace_back(distance(s.key, target), &s);
  };
  auto flush = [&] {
    // Only the entries still needed get sorted.
    const size_t take = std::min(n - out.size(), group.size());
    std::partial_sort(group.begin(), group.begin() + std::ptrdiff_t(take), group.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < take; ++i) out.push_back(unpack(*group[i].second));
    group.clear();
  };
  if (c < buckets_.size()) {
    add(buckets_[c]);
    flush();
    for (size_t i = c + 1; i < buckets_.size() && out.size() < n; ++i) add(buckets_[i]);
    flush();
  }
  for (size_t i = std::min(c, buckets_.size()); i-- > 0 && out.size() < n;) {
    add(buckets_[i]);
    flush();
  }
  return out;
}

std::optional<RoutingEntry> RoutingTable::find(const PeerId& peer) const {
  if (peer.empty()) return std::nullopt;
  const Bucket* b = existing_bucket(Key::of(peer));
  if (b == nullptr) return std::nullopt;
  for (const Slot& s : b->entries)
    if (s.id == peer) return unpack(s);
  return std::nullopt;
}

bool RoutingTable::contains(const PeerId& peer) const {
  if (peer.empty()) return false;
  const Bucket* b = existing_bucket(Key::of(peer));
  if (b == nullptr) return false;
  return std::any_of(b->entries.begin(), b->entries.end(),
                     [&](const Slot& s) { return s.id == peer; });
}

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
  for (const Bucket& b : buckets_)
    for (const Slot& s : b.entries) out.push_back(unpack(s));
  return out;
}

}  // namespace agora::kad
