#include "runtime/sim/adversary.h"

#include <algorithm>

namespace agora::sim {

Adversary::Adversary(AdversaryKind kind, const Population& population,
                     std::vector<NodeIndex> members, size_t peers_per_answer)
    : kind_(kind),
      population_(population),
      members_sorted_(population.sort_by_key(std::move(members))),
      peers_per_answer_(peers_per_answer) {}

std::vector<NodeIndex> Adversary::pick(NodeIndex self, const kad::Key& target, Prng& rng) const {
  const size_t n = peers_per_answer_;
  std::vector<NodeIndex> out;
  switch (kind_) {
    case AdversaryKind::empty:
      break;
    case AdversaryKind::random: {
      const size_t want = std::min(n, population_.size() - 1);
      while (out.size() < want) {
        auto i = NodeIndex(rng.uniform_u64(population_.size()));
        if (i != self && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
      }
      break;
    }
    case AdversaryKind::far: {
      kad::Key antipode = target;
      for (auto& b : antipode.bytes) b = uint8_t(~b);
      out = population_.near(antipode, population_.sorted_by_key(), n + 1);
      break;
    }
    case AdversaryKind::colluding:
      out = population_.near(target, members_sorted_, n + 1);
      break;
  }
  std::erase(out, self);
  if (out.size() > n) out.resize(n);
  return out;
}

kad::Message Adversary::answer(NodeIndex self, const kad::Message& request, Prng& rng) const {
  kad::Message response;
  response.type = request.type;
  response.key = request.key;
  for (NodeIndex i : pick(self, kad::Key::from_bytes(request.key), rng)) {
    response.closer_peers.push_back(kad::to_peer(population_.info(i)));
  }
  return response;
}

}  // namespace agora::sim
