// A bounded set of CIDs remembered in insertion order; the oldest is forgotten first.
#pragma once

#include <deque>
#include <unordered_set>

#include "codec/cid.h"

namespace agora::bitswap {

class RecentCids {
 public:
  explicit RecentCids(size_t cids_max) : cids_max_(cids_max) {}

  void insert(const Cid& cid) {
    if (cids_max_ == 0 || !set_.insert(cid).second) return;
    order_.push_back(cid);
    if (order_.size() > cids_max_) {
      set_.erase(order_.front());
      order_.pop_front();
    }
  }
  bool contains(const Cid& cid) const { return set_.count(cid) != 0; }
  size_t size() const { return order_.size(); }

 private:
  size_t cids_max_;
  std::deque<Cid> order_;
  std::unordered_set<Cid, CidHash> set_;
};

}  // namespace agora::bitswap
