// Plans the blocks of a DAG to fetch, from its root, depth first, with a bounded number of blocks
// requested and not yet arrived. Depth first keeps a file's blocks roughly in order and the list
// of known-but-unrequested blocks short; the window keeps enough requests in flight that
// throughput is not bound by round trips. Pure logic: the caller looks blocks up locally or asks
// the network, and feeds every block back in.
#pragma once

#include <deque>
#include <unordered_set>
#include <vector>

#include "codec/cid.h"

namespace agora {

struct DagWalkLimits {
  size_t in_flight_max = 128;
  // Known blocks not yet requested. A DAG wider than this (millions of leaves) is refused rather
  // than letting a hostile root make us hold an unbounded list.
  size_t pending_max = 4 << 20;
};

class DagWalk {
 public:
  DagWalk(const Cid& root, DagWalkLimits limits = {});

  // Blocks to request now, in depth-first order, up to the free room in the window.
  std::vector<Cid> take_requests();
  // `cid` (which we requested) arrived and matches its hash: schedule its links.
  // Errc::invalid_input when it was never requested; Errc::too_large over pending_max;
  // link decoding errors (corrupt dag-pb, unsupported codec) pass through.
  Status on_block(const Cid& cid, BytesView data);

  bool done() const { return pending_.empty() && in_flight_.empty(); }
  size_t in_flight() const { return in_flight_.size(); }
  size_t pending() const { return pending_.size(); }
  uint64_t blocks_done() const { return blocks_done_; }
  uint64_t bytes_done() const { return bytes_done_; }

 private:
  DagWalkLimits limits_;
  std::deque<Cid> pending_;  // front = next to request
  std::unordered_set<Cid, CidHash> in_flight_;
  uint64_t blocks_done_ = 0;
  uint64_t bytes_done_ = 0;
};

}  // namespace agora
