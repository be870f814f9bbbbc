// Walking the DAGs under the pins: what GC keeps, what verify checks, which pin holds a block.
//
// The store knows no block format: the caller injects LinksFn, which returns the links of a block
// of the given CID (dag-pb decoding for dag-pb, nothing for raw). Raw blocks have no links by
// definition and are never read, only checked for presence.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "store/blockstore.h"
#include "store/pin_store.h"

namespace agora::store {

using LinksFn = std::function<Result<std::vector<Cid>>(const Cid& cid, BytesView block)>;

// Reports list at most this many CIDs; the counts are exact.
inline constexpr size_t kReportCidsMax = 1000;

struct UndecodableBlock {
  Cid cid;
  std::string reason;
};

struct PinnedDags {
  // Multihash bytes (encode_multihash) of every block a pin reaches, present or missing.
  std::unordered_set<std::string> reached;
  uint64_t present_count = 0;  // reached blocks found in the store
  uint64_t present_bytes = 0;
  // Blocks some pin needs that are not in the store. Their own links cannot be followed.
  std::vector<Cid> missing;
  uint64_t missing_count = 0;
  // Present blocks LinksFn could not decode (or could not be read); their links are unknown.
  std::vector<UndecodableBlock> undecodable;
  uint64_t undecodable_count = 0;
};

// Marks every block reachable from the recursive pins, plus the direct pins. Missing and
// undecodable blocks are reported, not fatal. A pin set that cannot be read is an error.
Result<PinnedDags> walk_pinned_dags(const Blockstore& blocks, const PinStore& pins,
                                    const LinksFn& links);

// The recursive pin whose DAG contains `cid`, if any (for "X is pinned indirectly under Y").
// Stops at the first match; costs up to a full walk when there is none.
Result<std::optional<Cid>> find_indirect_pin_root(const Blockstore& blocks, const PinStore& pins,
                                                  const LinksFn& links, const Cid& cid);

// PinStore::remove, with kubo's explanation when the CID has no pin of its own but a recursive
// pin keeps it: Errc::invalid_input "<cid> is pinned indirectly under <root>".
Status unpin(PinStore& pins, const Blockstore& blocks, const LinksFn& links, const Cid& cid,
             const PinRemoveOptions& options = {});

}  // namespace agora::store
