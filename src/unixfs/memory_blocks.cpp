#include "unixfs/block_sink.h"

namespace agora {

Status MemoryBlocks::put(const Cid& cid, Bytes block) {
  ++puts_;
  auto [it, inserted] = blocks_.try_emplace(cid);
  if (inserted) {
    total_bytes_ += block.size();
    it->second = std::move(block);
  }
  return {};
}

Result<Bytes> MemoryBlocks::get(const Cid& cid) {
  auto it = blocks_.find(cid);
  if (it == blocks_.end()) return make_error(Errc::not_found, "block " + cid.to_string());
  return it->second;
}

}  // namespace agora
