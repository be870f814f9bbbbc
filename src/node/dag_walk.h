// Plans the blocks of a DAG to fetch, from its root, depth first, with a bounded number of blocks
// requested and not yet arrived. Depth first keeps a file's blocks roughly in order and the list
// of known-but-unrequested blocks short; the window keeps enough requests in flight that
// throughput is not bound by round trips. Pure logic: the caller looks blocks up locally or asks
// the network, and feeds every block back in.
//
// Memory follows what was verified, not what a block claims: links are not expanded into a list
// of CIDs. A block with links not yet requested is kept as it arrived (its hash was checked) with
// a cursor into it, and links are read from it a window at a time; it is dropped once its last
// link is requested. So a node with a million children costs its own bytes, not a million CIDs,
// and pending_bytes_max bounds the blocks kept.
#pragma once

#include <cstring>
#include <optional>
#include <unordered_set>
#include <vector>

#include "codec/cid.h"
#include "codec/dag_pb.h"
#include "crypto/sha256.h"

namespace agora {

struct DagWalkLimits {
  size_t in_flight_max = 128;
  // Bytes of arrived blocks kept because some of their links are not requested yet. Depth first,
  // this is about one block per level (UnixFS nodes are a few KiB to 1 MiB); a DAG that needs
  // more is refused (Errc::too_large) rather than held.
  size_t pending_bytes_max = 64 << 20;
  // Distinct blocks remembered so a repeated subtree is walked once (~70 bytes each).
  size_t walked_max = 1 << 20;
};

class DagWalk {
 public:
  DagWalk(const Cid& root, DagWalkLimits limits = {});
  // These blocks only, not their links (a path resolved block by block, a listing's entries).
  static DagWalk blocks_only(std::vector<Cid> blocks, DagWalkLimits limits = {});

  // Blocks to request now, in depth-first order, up to the free room in the window.
  std::vector<Cid> take_requests();
  // `cid` (which we requested) arrived and matches its hash: schedule its links.
  // Errc::invalid_input when it was never requested; Errc::too_large over pending_bytes_max;
  // link decoding errors (corrupt dag-pb, unsupported codec) pass through.
  Status on_block(const Cid& cid, BytesView data);

  bool done() const { return roots_.empty() && frames_.empty() && in_flight_.empty(); }
  size_t in_flight() const { return in_flight_.size(); }
  const std::unordered_set<Cid, CidHash>& in_flight_cids() const { return in_flight_; }
  size_t pending_blocks() const { return frames_.size(); }  // blocks kept for their links
  size_t pending_bytes() const { return pending_bytes_; }
  size_t walked() const { return walked_.size(); }  // distinct blocks remembered
  uint64_t blocks_done() const { return blocks_done_; }
  uint64_t bytes_done() const { return bytes_done_; }

 private:
  // An arrived block whose links are still being requested.
  struct Frame {
    Frame(Bytes b, size_t links) : block(std::move(b)), cursor(block), links_left(links) {}
    Frame(Frame&&) = default;  // the cursor points into block's buffer, which a move keeps
    Frame& operator=(Frame&&) = default;
    Frame(const Frame&) = delete;
    Bytes block;
    PbLinkCursor cursor;
    size_t links_left;
  };

  DagWalkLimits limits_;
  std::vector<Cid> roots_;  // until requested, the next at the back
  bool follow_links_ = true;
  std::vector<Frame> frames_;  // back = the most recent block: its links are requested first
  size_t pending_bytes_ = 0;
  std::unordered_set<Cid, CidHash> in_flight_;
  // Blocks that arrived, as the SHA-256 of their CID (32 bytes, not a whole Cid): a repeated link
  // to one is skipped. At most walked_max entries; past that the set starts afresh, which only
  // costs walking a repeated subtree again (the loop yields while it reads local blocks).
  struct DigestHash {
    size_t operator()(const crypto::Sha256Digest& d) const {
      size_t h;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  std::unordered_set<crypto::Sha256Digest, DigestHash> walked_;
  uint64_t blocks_done_ = 0;
  uint64_t bytes_done_ = 0;
};

}  // namespace agora
