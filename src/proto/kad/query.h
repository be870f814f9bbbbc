// One iterative Kademlia lookup, independent of the RPC it drives (FIND_NODE, GET_VALUE,
// GET_PROVIDERS all walk the keyspace the same way).
//
// Peers are kept by distance to the target. Each peer belongs to one path: seeds are dealt
// round-robin over `disjoint_paths` paths (closest seed to path 0), and a peer learned from an
// answer joins the answering peer's path unless some path already knows it (S/Kademlia disjoint
// paths: no peer is queried by two paths). A path asks the closest peers it has not asked among
// its k closest that have not failed; it is done when those k have all answered, or when fewer
// are known and all of them answered. The query is done when every path is done.
//
// At most `alpha` requests are in flight in the whole query, at most ceil(alpha / paths) per path.
//
// Deviation from the contract: request timeouts are not kept here. The Kad core times every
// request it sends (lookups, liveness checks, PUT_VALUE) in one table and reports a timeout to
// the query as a failure, so the query only needs `now` for its elapsed time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "base/time.h"
#include "proto/kad/key.h"
#include "proto/kad/message.h"

namespace agora::kad {

struct QueryConfig {
  size_t k = 20;
  size_t alpha = 10;
  size_t disjoint_paths = 1;
  // Peers remembered per query (at least k per path); past it the farthest not in flight are
  // forgotten.
  size_t peers_max = 256;
};

struct QueryStats {
  uint32_t requests = 0;   // requests handed out
  uint32_t responses = 0;  // successful answers
  uint32_t failures = 0;   // errors and timeouts
  uint32_t peers_seen = 0;
  // Hops to the closest peer that answered: seeds are hop 1, a peer first learned from a hop-h
  // answer is hop h+1.
  uint32_t hops = 0;
  Duration elapsed{};  // from creation to the last input
};

enum class QueryPeerState : uint8_t { waiting, in_flight, succeeded, failed };

class Query {
 public:
  Query(const Key& target, QueryConfig config, Instant now);

  // Seeds are hop 1. Peers already known are ignored.
  void add_seeds(std::span<const PeerInfo> seeds);
  // The next peer to ask, marked in flight, or nullopt when no slot is free or nothing is left to
  // ask right now.
  std::optional<PeerInfo> next_request();
  // `peer` answered with `closer`. False if `peer` was not in flight (late, unknown, duplicate).
  bool on_success(const PeerId& peer, std::span<const PeerInfo> closer, Instant now);
  // `peer` failed or timed out. False if it was not in flight.
  bool on_failure(const PeerId& peer, Instant now);

  bool finished() const;
  size_t in_flight() const { return in_flight_; }
  // Up to n peers that answered, closest first.
  std::vector<PeerInfo> closest(size_t n) const;
  std::optional<QueryPeerState> state_of(const PeerId& peer) const;
  std::optional<size_t> path_of(const PeerId& peer) const;
  const Key& target() const { return target_; }
  // Stats with `hops` filled in from the closest peer that answered.
  QueryStats stats() const {
    QueryStats s = stats_;
    s.hops = hops();
    return s;
  }
  const QueryConfig& config() const { return config_; }

 private:
  struct Candidate {
    PeerInfo info;
    QueryPeerState state = QueryPeerState::waiting;
    uint8_t path = 0;
    uint16_t hop = 1;
  };
  using Peers = std::map<Distance, Candidate>;

  void add_peer(const PeerInfo& peer, size_t path, uint16_t hop);
  void trim();
  bool path_done(size_t path) const;
  // The closest waiting peer among the path's k closest not-failed peers.
  Peers::iterator next_for_path(size_t path);
  size_t path_limit() const;
  uint32_t hops() const;
  Peers::iterator find(const PeerId& peer);
  Peers::const_iterator find(const PeerId& peer) const;

  Key target_;
  QueryConfig config_;
  Instant started_;
  Peers peers_;
  std::vector<uint16_t> path_in_flight_;
  size_t in_flight_ = 0;
  size_t next_path_ = 0;  // round-robin start for fairness between paths
  QueryStats stats_;
};

}  // namespace agora::kad
