// dag-pb (ipld/specs codecs/dag-pb): the block format of UnixFS. The encoder is canonical (each
// link Hash, Name, Tsize in that order; all Links, then Data) because block bytes decide CIDs. The
// decoder is strict as the spec asks: no unknown fields or wire types, no duplicates, PBLink fields
// in order, a Hash that parses as a CID in every link, and bounded sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "codec/cid.h"
#include "codec/protobuf.h"

namespace agora {

struct PbLink {
  Cid hash;
  std::optional<std::string> name;
  std::optional<uint64_t> tsize;  // cumulative bytes of the blocks under this link
  bool operator==(const PbLink&) const = default;
};

struct PbNode {
  std::vector<PbLink> links;
  std::optional<Bytes> data;  // present-but-empty is encoded (`0a 00`), absent is not
  bool operator==(const PbNode&) const = default;
};

struct DagPbLimits {
  // Bitswap moves messages of at most 4 MiB, so a larger block could never be fetched anyway.
  size_t block_bytes_max = 4 * 1024 * 1024;
  // A flat directory block of 4 MiB with short names holds about 80k links.
  size_t links_max = 1 << 17;
};

// Canonical bytes. Links are written in the order given: sort them first where the format asks
// for it (sort_links_by_name); file nodes keep their order (all names are "").
Bytes encode_dag_pb(const PbNode& node);

// Errc::too_large over a limit, Errc::invalid_input for anything non-canonical or malformed.
// Accepts Data before or after the Links (the spec allows both orders on decode) but not between.
Result<PbNode> decode_dag_pb(BytesView block, const DagPbLimits& limits = {});

// Stable sort by Name bytes (absent = ""), as @ipld/dag-pb's prepare() does before encoding.
void sort_links_by_name(std::vector<PbLink>& links);

// Bytes one link adds to an encoded PBNode (field tag, length and the PBLink message), with a
// Name of `name_bytes` present and a Tsize present. Lets directory builders size a block without
// encoding it.
size_t dag_pb_link_encoded_bytes(size_t cid_bytes, size_t name_bytes, uint64_t tsize);
// Bytes a Data field of `data_bytes` adds to an encoded PBNode.
size_t dag_pb_data_encoded_bytes(size_t data_bytes);

// The blocks a block points at: dag-pb links in order; raw blocks have none. Other codecs:
// Errc::unsupported. The block is not checked against the CID here.
Result<std::vector<Cid>> block_links(const Cid& cid, BytesView block,
                                     const DagPbLimits& limits = {});

// A PBNode's links one at a time, without decoding the node: memory stays flat however many
// links the block holds. Checks what decode_dag_pb checks on the fields it passes (the Data field
// is checked for placement and skipped). `block` must outlive the cursor (moving the Bytes that
// hold it is fine: the buffer stays where it is).
class PbLinkCursor {
 public:
  explicit PbLinkCursor(BytesView block, const DagPbLimits& limits = {})
      : reader_(block), links_max_(limits.links_max) {}
  // The next link's CID; nullopt at the end of the block.
  Result<std::optional<Cid>> next();

 private:
  pb::Reader reader_;
  size_t links_max_;
  size_t links_ = 0;
  bool data_seen_ = false;
  bool links_before_data_ = false;
};

}  // namespace agora
