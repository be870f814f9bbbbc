// `agora crawl`: a bounded, rate-limited crawl of the DHT from this node, through its daemon.
//
// It starts from the daemon's routing table and, for each peer it learns of, runs one
// closest-peers lookup for that peer's id (`dht query`): every peer that answers a step is asked
// by the daemon for the peers closest to the key, so each answer gives edges (asked -> returned)
// and new peers. A peer that answered is `reachable`; one whose every request failed is not; one
// only seen in others' answers is `unknown`. Agent versions and protocols come from the daemon's
// peer store (identify ran on every connection the lookups made).
//
// Output: JSON `{"nodes": [{peer, reachable, agent, protocols, addrs}], "edges": [{from, to}],
// "stats"}`, Graphviz DOT, or SVG (DOT through Graphviz's `dot`, which must be installed).
//
// Bounds: at most `nodes_max` peers are kept (later ones are not added) and at most `queries_max`
// lookups run, one at a time, at most `queries_per_second`; each lookup is bounded by the
// daemon's own query limits and timeouts. At most nodes_max x 64 edges are kept (the rest are
// counted in `edges_left_out`).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "agora/result.h"
#include "app/cli/commands.h"

namespace agora {

struct CrawlOptions {
  size_t nodes_max = 1000;
  size_t queries_max = 1000;
  double queries_per_second = 10;
  std::string format = "json";  // json, dot, svg
  std::string output;           // a file (must not exist); empty: standard output
};

int cmd_crawl(const CommonOptions& o, const CrawlOptions& options);
// The crawl as JSON (format and output are not used): for the dashboard's topology view.
Result<nlohmann::json> crawl_report(const CommonOptions& o, const CrawlOptions& options);

}  // namespace agora
