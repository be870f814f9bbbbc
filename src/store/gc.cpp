#include "store/gc.h"

namespace agora::store {

Result<GcReport> collect_garbage(Blockstore& blocks, PinStore& pins, const LinksFn& links) {
  auto gc_lock = blocks.lock_for_gc();
  AGORA_ASSIGN(PinnedDags pinned, walk_pinned_dags(blocks, pins, links));
  if (pinned.undecodable_count > 0) {
    const UndecodableBlock& first = pinned.undecodable.front();
    return make_error(
        Errc::invalid_input,
        "garbage collection stopped, nothing removed: " + std::to_string(pinned.undecodable_count) +
            " pinned block(s) cannot be read or decoded, so their links are "
            "unknown; first: " +
            first.cid.to_string() + ": " + first.reason +
            " (repo verify quarantines corrupt blocks)");
  }
  GcReport report;
  Status swept = blocks.for_each([&](const Multihash& hash, uint64_t size_bytes) -> Status {
    Bytes key = encode_multihash(hash);
    if (pinned.reached.count(std::string(key.begin(), key.end())) != 0) {
      ++report.kept_blocks;
      report.kept_bytes += size_bytes;
      return {};
    }
    Status st = blocks.remove(hash);
    if (st.ok()) {
      ++report.removed_blocks;
      report.removed_bytes += size_bytes;
    } else if (st.error().code != Errc::not_found) {  // gone already is fine
      if (report.remove_errors.size() < kReportCidsMax)
        report.remove_errors.push_back(st.error().message);
      ++report.remove_error_count;
    }
    return {};
  });
  AGORA_TRY(swept);
  report.missing = std::move(pinned.missing);
  report.missing_count = pinned.missing_count;
  return report;
}

}  // namespace agora::store
