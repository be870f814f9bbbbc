// UnixFS on hostile bytes. The first byte picks a mode:
//  even: decode_unixfs_data; whatever decodes re-encodes to bytes that decode and re-encode the
//        same (js marshal form is a fixed point).
//  odd:  the rest is a list of blocks ([u8 len][len bytes]...); the first is the root, reachable
//        as dag-pb and raw CIDs; children can only be reached through identity CIDs, which carry
//        their block inline. stat, list, resolve and read must never crash and stay bounded.
#include <cstdio>
#include <cstdlib>

#include "codec/unixfs_pb.h"
#include "unixfs/exporter.h"

using namespace agora;
using namespace agora::unixfs;

#define CHECK(cond)                                             \
  do {                                                          \
    if (!(cond)) {                                              \
      std::fprintf(stderr, "fuzz_unixfs: failed: %s\n", #cond); \
      std::abort();                                             \
    }                                                           \
  } while (0)

static void fuzz_data_message(BytesView input) {
  auto d = decode_unixfs_data(input);
  if (!d.ok()) return;
  Bytes encoded = encode_unixfs_data(*d);
  auto again = decode_unixfs_data(encoded);
  CHECK(again.ok());
  CHECK(again->type == d->type);
  CHECK(again->data == d->data);
  CHECK(again->blocksizes == d->blocksizes);
  CHECK(again->mtime == d->mtime);
  CHECK(encode_unixfs_data(*again) == encoded);
}

static void fuzz_exporter(BytesView input) {
  MemoryBlocks blocks;
  std::vector<Cid> roots;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t len = std::min<size_t>(input[pos], input.size() - pos - 1);
    BytesView block = input.subspan(pos + 1, len);
    pos += 1 + len;
    for (uint64_t codec : {kCodecDagPb, kCodecRaw}) {
      Cid cid = Cid::of(block, codec);
      (void)blocks.put(cid, Bytes(block.begin(), block.end()));
      if (roots.size() < 2) roots.push_back(cid);
    }
  }
  ExportLimits limits;
  limits.entries_max = 2000;
  limits.file_depth_max = 8;
  limits.hamt_depth_max = 8;
  limits.path_depth_max = 8;
  limits.dag_pb.links_max = 256;
  constexpr uint64_t kReadBytes = 1 << 20;
  for (const Cid& root : roots) {
    auto st = stat(blocks, root, limits);
    auto list = list_directory(blocks, root, limits);
    if (list.ok()) {
      CHECK(list->size() <= limits.entries_max);
      for (const DirEntry& e : *list) {
        CHECK(!e.name.empty() && e.name != "." && e.name != "..");
        CHECK(e.name.find('/') == std::string::npos);
        (void)resolve_path(blocks, root, e.name, limits);
      }
    }
    (void)resolve_path(blocks, root, "a/b", limits);
    uint64_t got = 0;
    auto read = read_file(
        blocks, root,
        [&](BytesView b) {
          got += b.size();
          return Status{};
        },
        0, kReadBytes, limits);
    CHECK(got <= kReadBytes);
    if (read.ok() && st.ok()) CHECK(got == std::min(st->size, kReadBytes));
  }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  BytesView rest(data + 1, size - 1);
  if (data[0] % 2 == 0)
    fuzz_data_message(rest);
  else
    fuzz_exporter(rest);
  return 0;
}
