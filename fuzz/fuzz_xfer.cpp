// Fuzzes /agora/xfer/1.0.0 (docs/xfer.md) as a peer would attack it:
// - frames for either side in any chunking: the frames read, or the error, never depend on how
//   the bytes were cut, a frame body never exceeds its limit, and every body decodes or fails
//   cleanly;
// - a skeleton of any NODE frames and any SKELETON_END under a fixed root: refused or accepted,
//   never a crash, and an accepted layout's leaves tile the file it claims;
// - the download scheduler driven by any sequence of peers, have-maps, arrivals, MISSINGs and
//   departures: a leaf is never accepted from a peer that was not asked, pipelines stay within
//   the in-flight limit, and done() means every leaf arrived.
#include <cstdint>
#include <vector>

#include "fuzz_input.h"
#include "proto/xfer/download.h"
#include "proto/xfer/frame.h"
#include "proto/xfer/layout.h"

namespace {

using namespace agora;
using agora::fuzz::check;
using xfer::FrameReader;

struct ReadOutcome {
  bool ok = true;
  std::vector<xfer::Frame> frames;
};

ReadOutcome read_frames(FrameReader::Side side, BytesView wire, size_t step,
                        const xfer::XferLimits& limits) {
  FrameReader reader(side, limits);
  ReadOutcome out;
  for (size_t pos = 0; pos < wire.size(); pos += step) {
    BytesView piece = wire.subspan(pos, std::min(step, wire.size() - pos));
    while (!piece.empty()) {
      auto f = reader.next(piece);
      if (!f) {
        out.ok = false;
        return out;
      }
      if (*f) out.frames.push_back(std::move(**f));
    }
  }
  return out;
}

void decode_bodies(const std::vector<xfer::Frame>& frames, const xfer::XferLimits& limits) {
  for (const xfer::Frame& f : frames) {
    bool block = f.type == xfer::FrameType::node || f.type == xfer::FrameType::leaf;
    check(f.body.size() <= (block ? limits.block_bytes_max : limits.control_body_bytes_max));
    switch (f.type) {
      case xfer::FrameType::open:
        (void)xfer::decode_open(f.body);
        (void)xfer::decode_open_traced(f.body);
        break;
      case xfer::FrameType::want:
      case xfer::FrameType::cancel:
      case xfer::FrameType::missing: {
        auto r = xfer::decode_ranges(f.body, limits);
        if (r) check(r->size() <= limits.ranges_per_frame_max);
        break;
      }
      case xfer::FrameType::skeleton_end:
        (void)xfer::decode_skeleton_end(f.body);
        break;
      case xfer::FrameType::have:
        (void)xfer::decode_have(f.body);
        break;
      case xfer::FrameType::error:
        (void)xfer::decode_error(f.body, limits);
        break;
      default:
        break;
    }
  }
}

void fuzz_frames(fuzz::Input& in, const xfer::XferLimits& limits) {
  auto side = in.byte() & 1 ? FrameReader::Side::server : FrameReader::Side::downloader;
  size_t step = 1 + in.byte() % 64;
  BytesView wire = in.take(SIZE_MAX);
  ReadOutcome whole = read_frames(side, wire, std::max<size_t>(wire.size(), 1), limits);
  ReadOutcome cut = read_frames(side, wire, step, limits);
  check(whole.ok == cut.ok);
  check(whole.frames.size() == cut.frames.size());
  for (size_t i = 0; i < whole.frames.size(); ++i) {
    check(whole.frames[i].type == cut.frames[i].type);
    check(whole.frames[i].index == cut.frames[i].index);
    check(whole.frames[i].body == cut.frames[i].body);
  }
  decode_bodies(whole.frames, limits);
}

void fuzz_skeleton(fuzz::Input& in, const xfer::XferLimits& limits) {
  // The first node given is taken as the root, so matching paths are reached.
  size_t nodes = in.byte() % 16;
  std::vector<Bytes> blocks;
  for (size_t i = 0; i < nodes; ++i) {
    BytesView b = in.take(in.u32() % 4096);
    blocks.emplace_back(b.begin(), b.end());
  }
  if (blocks.empty()) return;
  Cid root = Cid::v1(kCodecDagPb, multihash_sha2_256(blocks[0]));
  xfer::SkeletonReader reader(root, limits);
  for (Bytes& b : blocks)
    if (!reader.on_node(std::move(b))) return;
  xfer::SkeletonEnd end{in.u32(), in.u32(), in.u32()};
  auto layout = reader.finish(end);
  if (!layout) return;
  uint64_t next = 0;
  for (const xfer::LeafSpan& leaf : layout->leaves) {
    check(leaf.offset >= next);  // inline data may sit between leaves
    next = leaf.offset + leaf.size;
  }
  check(next <= layout->file_bytes);
}

void fuzz_download(fuzz::Input& in) {
  size_t leaves = 1 + in.byte() % 64;
  xfer::DownloadConfig config;
  config.pipeline_bytes_min = 1 + in.byte() % 8;
  config.pipeline_bytes_max = config.pipeline_bytes_min + in.byte() % 8;
  config.leaves_in_flight_max = 1 + in.byte() % 8;
  config.peers_max = 4;
  config.sequential = in.byte() & 1;
  std::vector<bool> have(leaves);
  for (size_t i = 0; i < leaves; ++i) have[i] = in.byte() % 4 == 0;
  xfer::Download d(std::vector<uint64_t>(leaves, 1), config, have);
  std::vector<std::vector<uint64_t>> asked(6);
  std::vector<bool> arrived = have;
  Instant now{};
  while (!in.empty()) {
    xfer::PeerKey p = in.byte() % 6;
    now += std::chrono::milliseconds(in.byte());
    switch (in.byte() % 7) {
      case 0:
        (void)d.add_peer(p, now);
        break;
      case 1:
        d.peer_has_all(p);
        break;
      case 2: {
        xfer::HaveBits h{in.byte(), {in.byte(), in.byte()}};
        d.peer_has(p, h);
        break;
      }
      case 3: {
        auto w = d.take(p, now);
        for (const auto& r : w.want)
          for (uint64_t i = r.first; i < r.first + r.count; ++i) {
            check(i < leaves);
            asked[p].push_back(i);
          }
        check(d.in_flight(p) <= config.leaves_in_flight_max);
        break;
      }
      case 4: {
        uint64_t index = in.byte() % (leaves + 2);
        bool was_asked = d.is_asked(p, index);
        bool accepted = d.on_leaf(p, index, now);
        check(accepted == was_asked);
        if (accepted) arrived[index] = true;
        break;
      }
      case 5:
        d.on_missing(p, {{in.byte() % leaves, 1 + uint64_t(in.byte() % 4)}});
        break;
      case 6:
        d.remove_peer(p);
        break;
    }
    uint64_t left = 0;
    for (size_t i = 0; i < leaves; ++i) left += arrived[i] ? 0 : 1;
    check(d.leaves_left() == left);
    check(d.done() == (left == 0));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input in(data, size);
  xfer::XferLimits limits;
  limits.block_bytes_max = 1 << 16;
  limits.control_body_bytes_max = 1 << 12;
  limits.leaves_max = 1 << 12;
  limits.skeleton_nodes_max = 64;
  switch (in.byte() % 3) {
    case 0:
      fuzz_frames(in, limits);
      break;
    case 1:
      fuzz_skeleton(in, limits);
      break;
    case 2:
      fuzz_download(in);
      break;
  }
  return 0;
}
