// Where a block lives on disk: kubo's flatfs layout, so a block's place depends only on its
// multihash (the same bytes under CIDv0 and CIDv1, or under raw and dag-pb, are one file).
//
//   blocks/SHARDING              "/repo/flatfs/shard/v1/next-to-last/2"
//   blocks/<shard>/<KEY>.data    KEY: base32 (RFC 4648 upper case, no padding) of the multihash
//                                bytes; shard: the next-to-last two characters of KEY
//   blocks/.tmp/                 blocks being written; emptied at open
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "codec/multihash.h"

namespace agora::store {

inline constexpr std::string_view kBlockFileSuffix = ".data";
inline constexpr std::string_view kShardingFile = "SHARDING";
inline constexpr std::string_view kShardingSpec = "/repo/flatfs/shard/v1/next-to-last/2";
inline constexpr std::string_view kBlockTempDir = ".tmp";
// Shards are named by two base32 characters: 32 * 32 directories at most.
inline constexpr size_t kShardCount = 32 * 32;

std::string block_key(const Multihash& hash);
// The shard directory name of a key (its next-to-last two characters). `key` is >= 3 chars.
std::string_view block_shard(std::string_view key);
// 0 .. kShardCount-1 for a valid shard name, or -1.
int shard_index(std::string_view shard);
std::string shard_name(size_t index);  // the inverse, for index < kShardCount
// "<shard>/<KEY>.data", relative to the blocks directory.
std::filesystem::path block_relative_path(const Multihash& hash);

// The multihash named by a block file name "<KEY>.data". Only the canonical spelling is
// accepted (upper case, no padding, a well-formed multihash), so one block has one file name.
Result<Multihash> parse_block_file_name(std::string_view file_name);

}  // namespace agora::store
