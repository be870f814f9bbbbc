#include "codec/dag_pb.h"

#include <algorithm>

#include "codec/protobuf.h"
#include "codec/varint.h"

namespace agora {

namespace {

// PBNode fields.
constexpr uint32_t kNodeData = 1;
constexpr uint32_t kNodeLinks = 2;
// PBLink fields.
constexpr uint32_t kLinkHash = 1;
constexpr uint32_t kLinkName = 2;
constexpr uint32_t kLinkTsize = 3;

Error pb_error(Errc code, std::string message) {
  return make_error(code, "dag-pb: " + std::move(message));
}

Bytes encode_link(const PbLink& link) {
  pb::Writer w;
  w.bytes(kLinkHash, link.hash.bytes());
  if (link.name) w.string(kLinkName, *link.name);
  if (link.tsize) w.varint(kLinkTsize, *link.tsize);
  return w.take();
}

Result<PbLink> decode_link(BytesView in) {
  pb::Reader r(in);
  PbLink link;
  bool has_hash = false;
  uint32_t last_field = 0;
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number < kLinkHash || f.number > kLinkTsize)
      return pb_error(Errc::invalid_input, "unknown PBLink field " + std::to_string(f.number));
    // Strictly increasing field numbers: canonical order and no duplicates in one check.
    if (f.number <= last_field)
      return pb_error(Errc::invalid_input,
                      "PBLink field " + std::to_string(f.number) + " duplicated or out of order");
    last_field = f.number;
    switch (f.number) {
      case kLinkHash: {
        if (f.type != pb::kLen) return pb_error(Errc::invalid_input, "PBLink Hash wire type");
        auto cid = Cid::from_bytes(f.bytes);
        if (!cid.ok())
          return pb_error(Errc::invalid_input, "PBLink Hash is not a CID: " + cid.error().message);
        link.hash = std::move(cid).value();
        has_hash = true;
        break;
      }
      case kLinkName:
        if (f.type != pb::kLen) return pb_error(Errc::invalid_input, "PBLink Name wire type");
        link.name = std::string(as_chars(f.bytes));
        break;
      case kLinkTsize:
        if (f.type != pb::kVarint) return pb_error(Errc::invalid_input, "PBLink Tsize wire type");
        link.tsize = f.varint;
        break;
    }
  }
  if (!has_hash) return pb_error(Errc::invalid_input, "PBLink without Hash");
  return link;
}

}  // namespace

Bytes encode_dag_pb(const PbNode& node) {
  pb::Writer w;
  for (const PbLink& link : node.links) w.bytes(kNodeLinks, encode_link(link));
  if (node.data) w.bytes(kNodeData, *node.data);
  return w.take();
}

Result<PbNode> decode_dag_pb(BytesView block, const DagPbLimits& limits) {
  if (block.size() > limits.block_bytes_max)
    return pb_error(Errc::too_large, "block of " + std::to_string(block.size()) +
                                         " bytes is over " +
                                         std::to_string(limits.block_bytes_max));
  pb::Reader r(block);
  PbNode node;
  bool links_before_data = false;
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.type != pb::kLen)
      return pb_error(Errc::invalid_input,
                      "PBNode field " + std::to_string(f.number) + " has a non-bytes wire type");
    if (f.number == kNodeData) {
      if (node.data) return pb_error(Errc::invalid_input, "duplicate Data");
      node.data = Bytes(f.bytes.begin(), f.bytes.end());
      links_before_data = !node.links.empty();
    } else if (f.number == kNodeLinks) {
      if (links_before_data) return pb_error(Errc::invalid_input, "Links on both sides of Data");
      if (node.links.size() >= limits.links_max)
        return pb_error(Errc::too_large,
                        "more than " + std::to_string(limits.links_max) + " links");
      AGORA_ASSIGN(PbLink link, decode_link(f.bytes));
      node.links.push_back(std::move(link));
    } else {
      return pb_error(Errc::invalid_input, "unknown PBNode field " + std::to_string(f.number));
    }
  }
  return node;
}

Result<std::optional<Cid>> PbLinkCursor::next() {
  while (!reader_.done()) {
    AGORA_ASSIGN(pb::Field f, reader_.next());
    if (f.type != pb::kLen)
      return pb_error(Errc::invalid_input,
                      "PBNode field " + std::to_string(f.number) + " has a non-bytes wire type");
    if (f.number == kNodeData) {
      if (data_seen_) return pb_error(Errc::invalid_input, "duplicate Data");
      data_seen_ = true;
      links_before_data_ = links_ > 0;
      continue;
    }
    if (f.number != kNodeLinks)
      return pb_error(Errc::invalid_input, "unknown PBNode field " + std::to_string(f.number));
    if (links_before_data_) return pb_error(Errc::invalid_input, "Links on both sides of Data");
    if (links_ >= links_max_)
      return pb_error(Errc::too_large, "more than " + std::to_string(links_max_) + " links");
    AGORA_ASSIGN(PbLink link, decode_link(f.bytes));
    ++links_;
    return std::optional<Cid>(std::move(link.hash));
  }
  return std::optional<Cid>();
}

void sort_links_by_name(std::vector<PbLink>& links) {
  std::stable_sort(links.begin(), links.end(), [](const PbLink& a, const PbLink& b) {
    std::string_view x = a.name ? std::string_view(*a.name) : std::string_view();
    std::string_view y = b.name ? std::string_view(*b.name) : std::string_view();
    // Compare as unsigned bytes (UTF-8 order), shorter prefix first.
    return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end(),
                                        [](char c, char d) { return uint8_t(c) < uint8_t(d); });
  });
}

size_t dag_pb_link_encoded_bytes(size_t cid_bytes, size_t name_bytes, uint64_t tsize) {
  size_t link = 1 + uvarint_size(cid_bytes) + cid_bytes;  // Hash
  link += 1 + uvarint_size(name_bytes) + name_bytes;      // Name
  link += 1 + uvarint_size(tsize);                        // Tsize
  return 1 + uvarint_size(link) + link;                   // Links entry in the PBNode
}

size_t dag_pb_data_encoded_bytes(size_t data_bytes) {
  return 1 + uvarint_size(data_bytes) + data_bytes;
}

Result<std::vector<Cid>> block_links(const Cid& cid, BytesView block, const DagPbLimits& limits) {
  if (cid.codec() == kCodecRaw) return std::vector<Cid>{};
  if (cid.codec() != kCodecDagPb)
    return make_error(Errc::unsupported, std::string("block links: codec ") +
                                             codec_name(cid.codec()) + " is not supported");
  AGORA_ASSIGN(PbNode node, decode_dag_pb(block, limits));
  std::vector<Cid> out;
  out.reserve(node.links.size());
  for (PbLink& link : node.links) out.push_back(std::move(link.hash));
  return out;
}

}  // namespace agora
