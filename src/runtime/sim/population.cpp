#include "runtime/sim/population.h"

#include <algorithm>
#include <cassert>

#include "runtime/sim/identity.h"

namespace agora::sim {

Population::Population(size_t nodes, Prng rng) {
  assert(nodes < (size_t(1) << 24));  // make_node_addr's range
  ids_.reserve(nodes);
  keys_.reserve(nodes);
  prefixes_.reserve(nodes);
  by_id_.reserve(nodes);
  for (size_t i = 0; i < nodes; ++i) {
    PeerId id = make_peer_id(rng);
    // 256 random bits: a repeat would mean a broken generator, not bad luck.
    bool inserted = by_id_.emplace(id, NodeIndex(i)).second;
    assert(inserted);
    (void)inserted;
    keys_.push_back(kad::Key::of(id));
    prefixes_.push_back(get_u64_be(keys_.back().bytes.data()));
    ids_.push_back(std::move(id));
  }
  sorted_.resize(nodes);
  for (size_t i = 0; i < nodes; ++i) sorted_[i] = NodeIndex(i);
  sorted_ = sort_by_key(std::move(sorted_));
}

kad::PeerInfo Population::info(NodeIndex i) const {
  return kad::PeerInfo{ids_[i], {make_node_addr(i)}};
}

std::optional<NodeIndex> Population::index_of(const PeerId& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

std::optional<NodeIndex> Population::closest(const kad::Key& target,
                                             const std::function<bool(NodeIndex)>& keep) const {
  const uint64_t t = get_u64_be(target.bytes.data());
  std::optional<NodeIndex> best;
  uint64_t best_d = 0;
  for (NodeIndex i = 0; i < prefixes_.size(); ++i) {
    const uint64_t d = prefixes_[i] ^ t;
    if (best) {
      if (d > best_d) continue;
      // Equal 64-bit prefixes of distance: decide on the full keys.
      if (d == best_d && kad::distance(keys_[i], target) >= kad::distance(keys_[*best], target)) {
        continue;
      }
    }
    if (!keep(i)) continue;
    best = i;
    best_d = d;
  }
  return best;
}

std::vector<NodeIndex> Population::sort_by_key(std::vector<NodeIndex> nodes) const {
  std::sort(nodes.begin(), nodes.end(),
            [&](NodeIndex a, NodeIndex b) { return keys_[a] < keys_[b]; });
  return nodes;
}

std::vector<NodeIndex> Population::bucket_sample(NodeIndex node, size_t k, Prng& rng) const {
  const kad::Key& self = keys_[node];
  auto bit = [](const kad::Key& key, int i) {
    return (key.bytes[size_t(i) / 8] >> (7 - i % 8)) & 1;
  };
  std::vector<NodeIndex> out;
  // [lo, hi): the nodes sharing the first i bits with `node`, a range in key order.
  size_t lo = 0, hi = sorted_.size();
  for (int i = 0; i < kad::kKeyBits && hi - lo > 1; ++i) {
    const auto first = sorted_.begin() + ptrdiff_t(lo);
    const auto last = sorted_.begin() + ptrdiff_t(hi);
    const size_t mid = size_t(
        std::partition_point(first, last, [&](NodeIndex n) { return bit(keys_[n], i) == 0; }) -
        sorted_.begin());
    const bool own = bit(self, i) != 0;
    // Bucket i: the half whose bit i differs from ours.
    const size_t b_lo = own ? lo : mid;
    const size_t b_hi = own ? mid : hi;
    const size_t size = b_hi - b_lo;
    if (size <= k) {
      out.insert(out.end(), sorted_.begin() + ptrdiff_t(b_lo), sorted_.begin() + ptrdiff_t(b_hi));
    } else {
      const size_t start = out.size();
      while (out.size() - start < k) {
        const NodeIndex pick = sorted_[b_lo + rng.uniform_u64(size)];
        if (std::find(out.begin() + ptrdiff_t(start), out.end(), pick) == out.end()) {
          out.push_back(pick);
        }
      }
    }
    lo = own ? mid : lo;
    hi = own ? hi : mid;
  }
  return out;
}

std::vector<NodeIndex> Population::near(const kad::Key& target,
                                        std::span<const NodeIndex> sorted_subset, size_t n) const {
  auto pos = std::lower_bound(sorted_subset.begin(), sorted_subset.end(), target,
                              [&](NodeIndex i, const kad::Key& k) { return keys_[i] < k; });
  const size_t at = size_t(pos - sorted_subset.begin());
  const size_t lo = at > n ? at - n : 0;
  const size_t hi = std::min(sorted_subset.size(), at + n);
  std::vector<NodeIndex> out(sorted_subset.begin() + lo, sorted_subset.begin() + hi);
  std::sort(out.begin(), out.end(), [&](NodeIndex a, NodeIndex b) {
    return kad::distance(keys_[a], target) < kad::distance(keys_[b], target);
  });
  if (out.size() > n) out.resize(n);
  return out;
}

}  // namespace agora::sim
