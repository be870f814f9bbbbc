// Garbage collection: remove every block no pin keeps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/dag_walk.h"

namespace agora::store {

struct GcReport {
  uint64_t removed_blocks = 0;
  uint64_t removed_bytes = 0;
  uint64_t kept_blocks = 0;
  uint64_t kept_bytes = 0;
  // Pinned blocks not in the store (see PinnedDags). Blocks below a missing one cannot be
  // reached, so any of them in the store were removed; fetching the DAG again restores the pin.
  std::vector<Cid> missing;
  uint64_t missing_count = 0;
  // Blocks that could not be removed (permissions, I/O), at most kReportCidsMax messages.
  std::vector<std::string> remove_errors;
  uint64_t remove_error_count = 0;
};

// Mark: every recursive pin's DAG and every direct pin. Sweep: remove every other block.
// Missing pinned blocks are reported, not fatal. A pinned block that cannot be read or decoded
// (a codec LinksFn does not know, corruption) stops the collection before anything is removed,
// with Errc::invalid_input naming it: its links are unknown, and sweeping would delete its DAG.
// Holds blocks.lock_for_gc() throughout, so writers that hold hold_off_gc() across storing and
// pinning never lose their blocks. Files with names that are not block keys are left to
// verify_blocks.
Result<GcReport> collect_garbage(Blockstore& blocks, PinStore& pins, const LinksFn& links);

}  // namespace agora::store
