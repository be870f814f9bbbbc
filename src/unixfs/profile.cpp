#include "unixfs/profile.h"

namespace agora::unixfs {

namespace {
constexpr size_t kHamtThresholdBytes = 256 * 1024;  // js DEFAULT_SHARD_SPLIT_THRESHOLD_BYTES

Error profile_error(std::string message) {
  return make_error(Errc::invalid_input, "profile: " + std::move(message));
}
}  // namespace

Profile profile_unixfs_v1_2025() {
  return Profile{
      .name = std::string(kProfileV1_2025),
      .chunk_bytes = 1024 * 1024,
      .links_per_node_max = 1024,
      .raw_leaves = true,
      .cid_version = 1,
      .hamt_threshold_bytes = kHamtThresholdBytes,
      .hamt_size_estimate = HamtSizeEstimate::block_bytes,
  };
}

Profile profile_unixfs_v0_2015() {
  return Profile{
      .name = std::string(kProfileV0_2015),
      .chunk_bytes = 256 * 1024,
      .links_per_node_max = 174,
      .raw_leaves = false,
      .cid_version = 0,
      .hamt_threshold_bytes = kHamtThresholdBytes,
      .hamt_size_estimate = HamtSizeEstimate::links_bytes,
  };
}

Result<Profile> profile_by_name(std::string_view name) {
  if (name == kProfileV1_2025) return profile_unixfs_v1_2025();
  if (name == kProfileV0_2015) return profile_unixfs_v0_2015();
  return profile_error("unknown profile '" + std::string(name) +
                       "'; valid profiles: " + std::string(kProfileV1_2025) + " (default), " +
                       std::string(kProfileV0_2015));
}

Status validate_profile(const Profile& p) {
  if (p.chunk_bytes == 0 || p.chunk_bytes > kChunkBytesMax)
    return profile_error("chunk size " + std::to_string(p.chunk_bytes) + " not in [1, " +
                         std::to_string(kChunkBytesMax) + "]");
  if (p.links_per_node_max < 2 || p.links_per_node_max > kLinksPerNodeMax)
    return profile_error("links per node " + std::to_string(p.links_per_node_max) + " not in [2, " +
                         std::to_string(kLinksPerNodeMax) + "]");
  if (p.cid_version != 0 && p.cid_version != 1)
    return profile_error("CID version " + std::to_string(p.cid_version) + " is not 0 or 1");
  bool power_of_two = p.hamt_fanout != 0 && (p.hamt_fanout & (p.hamt_fanout - 1)) == 0;
  if (!power_of_two || p.hamt_fanout < 2 || p.hamt_fanout > kHamtFanoutMax)
    return profile_error("HAMT fanout " + std::to_string(p.hamt_fanout) +
                         " is not a power of two in [2, " + std::to_string(kHamtFanoutMax) + "]");
  return {};
}

}  // namespace agora::unixfs
