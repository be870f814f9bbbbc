// decode_dag_pb on arbitrary bytes: never crashes; whatever decodes re-encodes canonically to
// something no larger, which decodes to the same node and re-encodes to the same bytes. The
// streaming PbLinkCursor (the DAG walk reads links through it) never yields more than links_max
// links, and on a block that decodes it yields exactly the decoder's links, in order.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "codec/dag_pb.h"

using namespace agora;

#define CHECK(cond)                                             \
  do {                                                          \
    if (!(cond)) {                                              \
      std::fprintf(stderr, "fuzz_dag_pb: failed: %s\n", #cond); \
      std::abort();                                             \
    }                                                           \
  } while (0)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  BytesView input(data, size);
  DagPbLimits limits;
  limits.links_max = 64;
  auto node = decode_dag_pb(input, limits);
  Cid cid = Cid::of(input, kCodecDagPb);
  auto links = block_links(cid, input, limits);
  CHECK(links.ok() == node.ok());
  PbLinkCursor cursor(input, limits);
  std::vector<Cid> streamed;
  bool cursor_failed = false;
  for (;;) {
    auto next = cursor.next();
    if (!next.ok()) {
      cursor_failed = true;
      break;
    }
    if (!next->has_value()) break;
    streamed.push_back(std::move(**next));
    CHECK(streamed.size() <= limits.links_max);
  }
  if (!node.ok()) return 0;
  CHECK(!cursor_failed);
  CHECK(streamed.size() == node->links.size());
  for (size_t i = 0; i < streamed.size(); ++i) CHECK(streamed[i] == node->links[i].hash);
  CHECK(node->links.size() <= limits.links_max);
  CHECK(links->size() == node->links.size());

  Bytes encoded = encode_dag_pb(*node);
  CHECK(encoded.size() <= size);  // canonical form drops only non-minimal varint bytes
  auto again = decode_dag_pb(encoded, limits);
  CHECK(again.ok());
  CHECK(*again == *node);
  CHECK(encode_dag_pb(*again) == encoded);

  size_t link_bytes = 0;
  for (const PbLink& l : node->links)
    if (l.name && l.tsize)
      link_bytes += dag_pb_link_encoded_bytes(l.hash.bytes().size(), l.name->size(), *l.tsize);
  CHECK(link_bytes <= encoded.size());

  std::vector<PbLink> sorted = node->links;
  sort_links_by_name(sorted);
  CHECK(sorted.size() == node->links.size());
  return 0;
}
