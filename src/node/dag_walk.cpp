#include "node/dag_walk.h"

#include <algorithm>

namespace agora {

namespace {

// Checks the whole node and counts its links without keeping them. Raw blocks have none.
Result<size_t> count_links(const Cid& cid, BytesView data) {
  if (cid.codec() == kCodecRaw) return size_t(0);
  if (cid.codec() != kCodecDagPb)
    return make_error(Errc::unsupported, std::string("block links: codec ") +
                                             codec_name(cid.codec()) + " is not supported");
  PbLinkCursor cursor(data);
  size_t n = 0;
  for (;;) {
    AGORA_ASSIGN(std::optional<Cid> link, cursor.next());
    if (!link) return n;
    ++n;
  }
}

}  // namespace

DagWalk::DagWalk(const Cid& root, DagWalkLimits limits) : limits_(limits), roots_{root} {}

DagWalk DagWalk::blocks_only(std::vector<Cid> blocks, DagWalkLimits limits) {
  DagWalk walk(Cid(), limits);
  std::reverse(blocks.begin(), blocks.end());
  walk.roots_ = std::move(blocks);
  walk.follow_links_ = false;
  return walk;
}

std::vector<Cid> DagWalk::take_requests() {
  std::vector<Cid> out;
  while (in_flight_.size() < limits_.in_flight_max) {
    std::optional<Cid> next;
    if (!roots_.empty()) {
      next = std::move(roots_.back());
      roots_.pop_back();
    } else if (!frames_.empty()) {
      Frame& top = frames_.back();
      auto link = top.cursor.next();  // checked whole in on_block: cannot fail or end early
      if (link.ok() && *link) next = std::move(**link);
      if (--top.links_left == 0 || !next) {
        pending_bytes_ -= top.block.size();
        frames_.pop_back();
      }
      if (!next) continue;
    } else {
      break;
    }
    // A DAG may link one block many times (identical chunks): ask once, and never walk a
    // subtree again once its root arrived (its links were scheduled then).
    if (walked_.contains(crypto::sha256(next->bytes())) || !in_flight_.insert(*next).second)
      continue;
    out.push_back(std::move(*next));
  }
  return out;
}

Status DagWalk::on_block(const Cid& cid, BytesView data) {
  if (in_flight_.erase(cid) == 0)
    return make_error(Errc::invalid_input, "block " + cid.to_string() + " was not requested");
  if (walked_.size() >= limits_.walked_max) walked_.clear();
  walked_.insert(crypto::sha256(cid.bytes()));
  ++blocks_done_;
  bytes_done_ += data.size();
  if (!follow_links_) return {};
  AGORA_ASSIGN(size_t links, count_links(cid, data));
  if (links == 0) return {};
  if (pending_bytes_ + data.size() > limits_.pending_bytes_max)
    return make_error(Errc::too_large, "DAG needs more than " +
                                           std::to_string(limits_.pending_bytes_max) +
                                           " bytes of blocks held to walk it");
  // Its links come next, in order: depth first.
  frames_.emplace_back(Bytes(data.begin(), data.end()), links);
  pending_bytes_ += data.size();
  return {};
}

}  // namespace agora
