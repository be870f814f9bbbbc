// The UnixFS v1 `Data` message (ipfs/specs unixfs.md), carried in the Data field of dag-pb nodes.
// Encoding follows js-ipfs-unixfs's marshal() byte for byte, since those bytes decide CIDs:
// fields in number order 1..8, blocksizes NOT packed, empty Data omitted, filesize derived and
// written only for File and Raw, a default mode (0644 files, 0755 directories) omitted.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.h"

namespace agora {

enum class UnixfsType : uint8_t {
  raw = 0,
  directory = 1,
  file = 2,
  metadata = 3,
  symlink = 4,
  hamt_shard = 5,
};

const char* unixfs_type_name(UnixfsType type);

inline constexpr uint32_t kUnixfsFileModeDefault = 0644;
inline constexpr uint32_t kUnixfsDirectoryModeDefault = 0755;
// Multicodec murmur3-x64-64: the only hash UnixFS HAMT shards use.
inline constexpr uint64_t kUnixfsHamtHashMurmur3 = 0x22;

struct UnixTime {
  int64_t seconds = 0;
  // js writes the field whenever it was given, even as 0; absent means whole seconds.
  std::optional<uint32_t> nanos;
  bool operator==(const UnixTime&) const = default;
};

struct UnixfsData {
  UnixfsType type = UnixfsType::file;
  Bytes data;                        // empty = absent on the wire
  std::optional<uint64_t> filesize;  // as read; on encode derived from data + blocksizes
  std::vector<uint64_t> blocksizes;  // file bytes under each link of a File node
  std::optional<uint64_t> hash_type;
  std::optional<uint64_t> fanout;
  std::optional<uint32_t> mode;  // permission bits; absent = the type's default
  std::optional<UnixTime> mtime;
  bool operator==(const UnixfsData&) const = default;
};

struct UnixfsLimits {
  // A 4 MiB dag-pb block cannot hold more varints than this; the cap keeps the vector small.
  size_t blocksizes_max = 1 << 17;
};

inline constexpr uint32_t kUnixTimeNanosMax = 999'999'999;

bool unixfs_is_directory(UnixfsType type);  // directory or hamt_shard
// data + Σ blocksizes; nullopt on overflow. Directories report 0 (as js does).
std::optional<uint64_t> unixfs_file_bytes(const UnixfsData& d);

Bytes encode_unixfs_data(const UnixfsData& d);

// Bounded and strict about what we understand: Type required and known, wire types as declared,
// nanoseconds below 1e9, blocksizes packed or not. Unknown fields are skipped (forward compatible,
// as js and go do). A later copy of a scalar field wins, as protobuf says.
Result<UnixfsData> decode_unixfs_data(BytesView in, const UnixfsLimits& limits = {});

}  // namespace agora
