// Every simulated node's identity: PeerId, kad key, address, and indexes to find nodes by id and
// by key. Built once per run from the seed; node i keeps its id across churn sessions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "codec/peer_id.h"
#include "proto/kad/key.h"
#include "proto/kad/message.h"
#include "runtime/sim/prng.h"

namespace agora::sim {

using NodeIndex = uint32_t;

class Population {
 public:
  Population(size_t nodes, Prng rng);

  size_t size() const { return ids_.size(); }
  const PeerId& id(NodeIndex i) const { return ids_[i]; }
  const kad::Key& key(NodeIndex i) const { return keys_[i]; }
  kad::PeerInfo info(NodeIndex i) const;
  std::optional<NodeIndex> index_of(const PeerId& id) const;

  // Among nodes accepted by `keep`, the one whose key is XOR-closest to `target`, or nullopt when
  // none is accepted. A linear scan over 64-bit key prefixes: about 0.1 ms per 100,000 nodes.
  std::optional<NodeIndex> closest(const kad::Key& target,
                                   const std::function<bool(NodeIndex)>& keep) const;
  // Up to n nodes among `sorted_subset` (indices sorted by key, e.g. from sorted_by_key()) near
  // `target`: the 2n around its position in key order, then the n XOR-closest of those. The
  // nodes sharing the longest prefix with the target sit next to that position, so the closest
  // is found unless more than n share it; the rest is an approximation, enough for an
  // adversary's answer.
  std::vector<NodeIndex> near(const kad::Key& target, std::span<const NodeIndex> sorted_subset,
                              size_t n) const;
  // A converged routing table for `node`: for each bucket (common prefix length i with the
  // node's key), up to k nodes drawn at random from all nodes in that bucket's key range.
  std::vector<NodeIndex> bucket_sample(NodeIndex node, size_t k, Prng& rng) const;
  // Node indices in key order.
  const std::vector<NodeIndex>& sorted_by_key() const { return sorted_; }
  // The subset of `nodes` in key order.
  std::vector<NodeIndex> sort_by_key(std::vector<NodeIndex> nodes) const;

 private:
  struct IdHash {
    size_t operator()(const PeerId& id) const {
      return std::hash<std::string_view>{}(as_chars(id.bytes()));
    }
  };
  std::vector<PeerId> ids_;
  std::vector<kad::Key> keys_;
  std::vector<uint64_t> prefixes_;  // first 8 key bytes, big-endian: the scan's fast path
  std::vector<NodeIndex> sorted_;
  std::unordered_map<PeerId, NodeIndex, IdHash> by_id_;
};

}  // namespace agora::sim
