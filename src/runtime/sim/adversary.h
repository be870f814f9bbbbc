// Adversarial nodes: simulator code that answers kad requests in place of the node's Kad core.
//
// An adversary still runs a real Kad for its own bootstrap and refreshes, so it gets into honest
// routing tables like any node; only its answers to inbound requests are replaced. What it puts
// in closerPeers depends on the kind (scenario.h): nothing, random peers, peers far from the key,
// or the other adversaries closest to the key. It never returns values or providers.
#pragma once

#include <vector>

#include "proto/kad/message.h"
#include "runtime/sim/population.h"
#include "runtime/sim/prng.h"
#include "runtime/sim/scenario.h"

namespace agora::sim {

class Adversary {
 public:
  // `members`: every adversarial node. `peers_per_answer`: how many peers an answer lists (k).
  Adversary(AdversaryKind kind, const Population& population, std::vector<NodeIndex> members,
            size_t peers_per_answer);

  kad::Message answer(NodeIndex self, const kad::Message& request, Prng& rng) const;
  AdversaryKind kind() const { return kind_; }

 private:
  std::vector<NodeIndex> pick(NodeIndex self, const kad::Key& target, Prng& rng) const;

  AdversaryKind kind_;
  const Population& population_;
  std::vector<NodeIndex> members_sorted_;  // by key
  size_t peers_per_answer_;
};

}  // namespace agora::sim
