#include "store/dag_walk.h"

namespace agora::store {
namespace {

std::string hash_bytes(const Multihash& hash) {
  Bytes b = encode_multihash(hash);
  return std::string(b.begin(), b.end());
}

// Depth-first from `root`, visiting each block once across calls (shared `seen`). `on_block` is
// called for every block reached; returning true stops the walk.
class DagWalker {
 public:
  DagWalker(const Blockstore& blocks, const LinksFn& links, PinnedDags& out)
      : blocks_(blocks), links_(links), out_(out) {}

  // True when `stop` matched.
  bool walk(const Cid& root, bool follow_links, const std::function<bool(const Cid&)>& stop) {
    std::vector<Cid> stack{root};
    while (!stack.empty()) {
      Cid cid = std::move(stack.back());
      stack.pop_back();
      if (!out_.reached.insert(hash_bytes(cid.hash())).second) continue;
      if (stop && stop(cid)) return true;
      if (!follow_links || cid.codec() == kCodecRaw) {
        note_present(cid);
        continue;
      }
      auto block = blocks_.get(cid);
      if (!block.ok()) {
        if (block.error().code == Errc::not_found) {
          note_missing(cid);
        } else {
          note_undecodable(cid, block.error().message);
        }
        continue;
      }
      count_present(cid, block->size());
      auto children = links_(cid, *block);
      if (!children.ok()) {
        note_undecodable(cid, children.error().message);
        continue;
      }
      for (Cid& child : *children) stack.push_back(std::move(child));
    }
    return false;
  }

 private:
  // Presence without reading: raw blocks, direct pins.
  void note_present(const Cid& cid) {
    auto size = blocks_.size(cid);
    if (size.ok()) {
      count_present(cid, *size);
    } else if (size.error().code == Errc::not_found) {
      note_missing(cid);
    } else {
      note_undecodable(cid, size.error().message);
    }
  }
  void count_present(const Cid& cid, uint64_t size_bytes) {
    if (cid.hash().code == kMhIdentity) return;  // inline, not in the store
    ++out_.present_count;
    out_.present_bytes += size_bytes;
  }
  void note_missing(const Cid& cid) {
    if (out_.missing.size() < kReportCidsMax) out_.missing.push_back(cid);
    ++out_.missing_count;
  }
  void note_undecodable(const Cid& cid, std::string reason) {
    if (out_.undecodable.size() < kReportCidsMax)
      out_.undecodable.push_back({cid, std::move(reason)});
    ++out_.undecodable_count;
  }

  const Blockstore& blocks_;
  const LinksFn& links_;
  PinnedDags& out_;
};

}  // namespace

Result<PinnedDags> walk_pinned_dags(const Blockstore& blocks, const PinStore& pins,
                                    const LinksFn& links) {
  AGORA_ASSIGN(std::vector<Pin> all, pins.list());
  PinnedDags out;
  DagWalker walker(blocks, links, out);
  for (const Pin& pin : all) walker.walk(pin.cid, pin.type == PinType::recursive, nullptr);
  return out;
}

Result<std::optional<Cid>> find_indirect_pin_root(const Blockstore& blocks, const PinStore& pins,
                                                  const LinksFn& links, const Cid& cid) {
  AGORA_ASSIGN(std::vector<Pin> recursive, pins.list({.type = PinType::recursive}));
  PinnedDags scratch;
  DagWalker walker(blocks, links, scratch);
  for (const Pin& pin : recursive) {
    if (walker.walk(pin.cid, true,
                    [&](const Cid& reached) { return reached.hash() == cid.hash(); }))
      return std::optional<Cid>(pin.cid);
  }
  return std::optional<Cid>();
}

Status unpin(PinStore& pins, const Blockstore& blocks, const LinksFn& links, const Cid& cid,
             const PinRemoveOptions& options) {
  Status removed = pins.remove(cid, options);
  if (removed.ok() || removed.error().code != Errc::not_found) return removed;
  AGORA_ASSIGN(std::vector<Pin> own, pins.pins_of(cid));
  if (!own.empty()) return removed;  // a named pin that is not there
  AGORA_ASSIGN(std::optional<Cid> root, find_indirect_pin_root(blocks, pins, links, cid));
  if (!root) return removed;
  return make_error(Errc::invalid_input,
                    cid.to_string() + " is pinned indirectly under " + root->to_string());
}

}  // namespace agora::store
