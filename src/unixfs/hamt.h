// UnixFS HAMT sharded directories (ipfs/specs unixfs.md, go-unixfs and js hamt-sharding layout).
//
// A name's position at each shard level comes from an endless bit stream: murmur3-x64-64 of the
// name (h1, most significant bit first), then of name‖0x01, name‖0x02, ... Each level consumes
// log2(fanout) bits. A shard links its children in slot order; a link to an entry is named
// HEX(slot)+name, a link to a sub-shard HEX(slot) alone (uppercase, padded to the width of
// fanout-1). Data holds the occupied slots as a big-endian bitfield without leading zero bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "unixfs/block_sink.h"
#include "unixfs/import_types.h"

namespace agora::unixfs {

// Deeper than this, two names would share 512+ hash bits: treat as corrupt or hostile.
inline constexpr size_t kHamtDepthMax = 64;

class HamtHashBits {
 public:
  explicit HamtHashBits(std::string_view name) : name_(name) {}
  // Next `bits` (1..16) bits as an integer, most significant first.
  uint32_t take(unsigned bits);

 private:
  void refill();
  std::string name_;
  uint64_t word_ = 0;
  unsigned word_bits_left_ = 0;
  unsigned round_ = 0;  // which rehash the current word came from
};

unsigned hamt_bits_per_level(size_t fanout);  // log2(fanout)
size_t hamt_prefix_chars(size_t fanout);      // hex digits of fanout-1
std::string hamt_slot_prefix(uint32_t slot, size_t fanout);
// Occupied slots as stored in a shard's Data.
Bytes hamt_bitfield_bytes(const std::vector<bool>& occupied);

struct HamtEntry {
  std::string name;
  Cid cid;
  uint64_t tsize = 0;
  uint64_t size = 0;  // file bytes below, for ImportedNode::size
};

// Writes the shards for `entries` (distinct names) and returns the root; only the root carries
// `meta`. Errc::internal past kHamtDepthMax.
Result<ImportedNode> write_hamt(std::vector<HamtEntry> entries, size_t fanout, int cid_version,
                                const FileMeta& meta, BlockSink& sink);

}  // namespace agora::unixfs
