#include "node/dag_walk.h"

#include "codec/dag_pb.h"

namespace agora {

DagWalk::DagWalk(const Cid& root, DagWalkLimits limits) : limits_(limits) {
  pending_.push_back(root);
}

std::vector<Cid> DagWalk::take_requests() {
  std::vector<Cid> out;
  while (!pending_.empty() && in_flight_.size() < limits_.in_flight_max) {
    Cid next = std::move(pending_.front());
    pending_.pop_front();
    // A DAG may link one block twice (identical chunks): ask once.
    if (!in_flight_.insert(next).second) continue;
    out.push_back(std::move(next));
  }
  return out;
}

Status DagWalk::on_block(const Cid& cid, BytesView data) {
  if (in_flight_.erase(cid) == 0)
    return make_error(Errc::invalid_input, "block " + cid.to_string() + " was not requested");
  ++blocks_done_;
  bytes_done_ += data.size();
  AGORA_ASSIGN(std::vector<Cid> links, block_links(cid, data));
  if (pending_.size() + links.size() > limits_.pending_max)
    return make_error(Errc::too_large, "DAG has more than " + std::to_string(limits_.pending_max) +
                                           " blocks waiting to be fetched");
  // Children go to the front, in link order: depth first.
  pending_.insert(pending_.begin(), std::make_move_iterator(links.begin()),
                  std::make_move_iterator(links.end()));
  return {};
}

}  // namespace agora
