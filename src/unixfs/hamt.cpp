#include "unixfs/hamt.h"

#include <algorithm>

#include "codec/murmur3.h"
#include "unixfs/node_writer.h"

namespace agora::unixfs {

void HamtHashBits::refill() {
  if (round_ == 0) {
    word_ = murmur3_x64_128(as_bytes(name_)).h1;
  } else {
    // js hamt-sharding appends the round number as one byte.
    std::string salted = name_;
    salted.push_back(char(uint8_t(round_)));
    word_ = murmur3_x64_128(as_bytes(salted)).h1;
  }
  ++round_;
  word_bits_left_ = 64;
}

uint32_t HamtHashBits::take(unsigned bits) {
  uint32_t out = 0;
  while (bits > 0) {
    if (word_bits_left_ == 0) refill();
    unsigned n = std::min(bits, word_bits_left_);
    uint64_t top = word_ >> (word_bits_left_ - n);
    out = out << n | uint32_t(top & ((uint64_t(1) << n) - 1));
    word_bits_left_ -= n;
    bits -= n;
  }
  return out;
}

unsigned hamt_bits_per_level(size_t fanout) {
  unsigned bits = 0;
  while ((size_t(1) << bits) < fanout) ++bits;
  return bits;
}

size_t hamt_prefix_chars(size_t fanout) {
  size_t chars = 1;
  for (size_t v = (fanout - 1) >> 4; v != 0; v >>= 4) ++chars;
  return chars;
}

std::string hamt_slot_prefix(uint32_t slot, size_t fanout) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out(hamt_prefix_chars(fanout), '0');
  for (size_t i = out.size(); i > 0; --i, slot >>= 4) out[i - 1] = kDigits[slot & 15];
  return out;
}

Bytes hamt_bitfield_bytes(const std::vector<bool>& occupied) {
  Bytes little((occupied.size() + 7) / 8, 0);
  for (size_t i = 0; i < occupied.size(); ++i)
    if (occupied[i]) little[i / 8] |= uint8_t(1 << (i % 8));
  while (little.size() > 1 && little.back() == 0) little.pop_back();
  return Bytes(little.rbegin(), little.rend());
}

namespace {

struct Slotted {
  HamtEntry* entry;
  HamtHashBits bits;
};

struct ShardWriter {
  size_t fanout;
  unsigned bits;
  int cid_version;
  BlockSink& sink;

  Result<ImportedNode> write(std::vector<Slotted>& entries, size_t depth, const FileMeta* meta) {
    if (depth >= kHamtDepthMax)
      return make_error(Errc::internal,
                        "hamt: names collide past depth " + std::to_string(kHamtDepthMax));
    std::vector<std::vector<Slotted>> slots(fanout);
    for (Slotted& s : entries) {
      uint32_t slot = s.bits.take(bits);
      slots[slot].push_back(std::move(s));
    }
    UnixfsData data{
        .type = UnixfsType::hamt_shard, .hash_type = kUnixfsHamtHashMurmur3, .fanout = fanout};
    if (meta) {
      data.mode = meta->mode;
      data.mtime = meta->mtime;
    }
    std::vector<bool> occupied(fanout, false);
    std::vector<PbLink> links;
    uint64_t tsize = 0, size = 0;
    for (size_t slot = 0; slot < fanout; ++slot) {
      std::vector<Slotted>& here = slots[slot];
      if (here.empty()) continue;
      occupied[slot] = true;
      std::string prefix = hamt_slot_prefix(uint32_t(slot), fanout);
      if (here.size() == 1) {
        const HamtEntry& e = *here[0].entry;
        links.push_back(PbLink{e.cid, prefix + e.name, e.tsize});
        tsize += e.tsize;
        size += e.size;
        continue;
      }
      AGORA_ASSIGN(ImportedNode sub, write(here, depth + 1, nullptr));
      links.push_back(PbLink{sub.cid, prefix, sub.tsize});
      tsize += sub.tsize;
      size += sub.size;
      here.clear();
    }
    data.data = hamt_bitfield_bytes(occupied);
    sort_links_by_name(links);  // already in slot order; dag-pb's prepare() sorts the same way
    AGORA_ASSIGN(WrittenBlock b, write_unixfs_node(sink, cid_version, data, std::move(links)));
    return ImportedNode{b.cid, b.block_bytes + tsize, size};
  }
};

}  // namespace

Result<ImportedNode> write_hamt(std::vector<HamtEntry> entries, size_t fanout, int cid_version,
                                const FileMeta& meta, BlockSink& sink) {
  std::vector<Slotted> slotted;
  slotted.reserve(entries.size());
  for (HamtEntry& e : entries) slotted.push_back(Slotted{&e, HamtHashBits(e.name)});
  ShardWriter writer{fanout, hamt_bits_per_level(fanout), cid_version, sink};
  return writer.write(slotted, 0, &meta);
}

}  // namespace agora::unixfs
