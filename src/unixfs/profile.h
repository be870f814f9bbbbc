// DAG layout profiles (IPIP-0499): the settings that decide which CID a given input gets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace agora::unixfs {

// How a flat directory's size is estimated against hamt_threshold_bytes (js shardSplitStrategy).
enum class HamtSizeEstimate {
  links_bytes,  // Σ (name bytes + CID bytes) over the links: go-unixfsnode, legacy kubo
  block_bytes,  // the exact encoded size of the directory block
};

struct Profile {
  std::string name;
  size_t chunk_bytes;           // fixed-size chunker
  size_t links_per_node_max;    // balanced layout: children per interior file node
  bool raw_leaves;              // leaves as raw blocks (always CIDv1) or dag-pb File nodes
  int cid_version;              // of dag-pb nodes (and of leaves when not raw)
  size_t hamt_threshold_bytes;  // a directory whose estimate is ABOVE this is sharded
  HamtSizeEstimate hamt_size_estimate;
  size_t hamt_fanout = 256;  // children per HAMT shard, a power of two
};

inline constexpr std::string_view kProfileV1_2025 = "unixfs-v1-2025";
inline constexpr std::string_view kProfileV0_2015 = "unixfs-v0-2015";
inline constexpr std::string_view kProfileDefault = kProfileV1_2025;

// Limits that keep a profile's blocks transferable and its trees sane.
inline constexpr size_t kChunkBytesMax = 2 * 1024 * 1024;
inline constexpr size_t kLinksPerNodeMax = 8192;
inline constexpr size_t kHamtFanoutMax = 1024;

// 1 MiB chunks, 1024 links, raw leaves, CIDv1, HAMT above 256 KiB of block bytes: Helia's
// @helia/unixfs defaults and kubo's `--profile unixfs-v1-2025`.
Profile profile_unixfs_v1_2025();
// 256 KiB chunks, 174 links, dag-pb leaves, CIDv0, HAMT above 256 KiB of link bytes: kubo before
// 2025 (`ipfs add` defaults) and the bare js importer's chunker and layout.
Profile profile_unixfs_v0_2015();

// Errc::invalid_input naming the valid profiles for an unknown name.
Result<Profile> profile_by_name(std::string_view name);
// Errc::invalid_input for settings the importer cannot honour (zero or oversized chunks, fewer
// than two links per node, CID version other than 0/1, fanout not a power of two in [2, 1024]).
Status validate_profile(const Profile& profile);

}  // namespace agora::unixfs
