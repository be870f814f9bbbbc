// Real dag-pb nodes for store tests, built and decoded here with the protobuf wire codec, so the
// store's tests do not depend on the dag-pb library: PBNode { Links = 2; Data = 1 },
// PBLink { Hash = 1; Name = 2; Tsize = 3 }, links written before data as dag-pb requires.
#pragma once

#include <vector>

#include "codec/cid.h"
#include "codec/protobuf.h"

namespace agora::store {

inline Bytes dag_pb_node(const std::vector<Cid>& links, std::string_view data = "node") {
  pb::Writer node;
  for (const Cid& c : links) {
    pb::Writer link;
    link.bytes(1, c.bytes());
    link.string(2, "");
    link.varint(3, 0);
    node.bytes(2, link.data());
  }
  node.string(1, data);
  return node.take();
}

inline Result<std::vector<Cid>> dag_pb_links(const Cid& cid, BytesView block) {
  std::vector<Cid> out;
  if (cid.codec() != kCodecDagPb) return out;
  pb::Reader node(block);
  while (!node.done()) {
    AGORA_ASSIGN(pb::Field f, node.next());
    if (f.number != 2 || f.type != pb::kLen) continue;
    pb::Reader link(f.bytes);
    while (!link.done()) {
      AGORA_ASSIGN(pb::Field lf, link.next());
      if (lf.number != 1 || lf.type != pb::kLen) continue;
      AGORA_ASSIGN(Cid child, Cid::from_bytes(lf.bytes));
      out.push_back(std::move(child));
    }
  }
  return out;
}

}  // namespace agora::store
