// Helpers shared by the bitswap tests: peers, CIDs, an in-memory block map.
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "codec/peer_id.h"
#include "proto/bitswap/server.h"

namespace agora {
// Readable gtest failure output.
inline void PrintTo(const Cid& cid, std::ostream* os) { *os << cid.to_string(); }
inline void PrintTo(const PeerId& peer, std::ostream* os) { *os << peer.to_string(); }
}  // namespace agora

namespace agora::bitswap::test {

inline PeerId peer(uint8_t n) {
  Bytes key(32, n);
  return PeerId::from_public_key({KeyType::ed25519, key});
}

inline Bytes block_data(const std::string& name, size_t size = 0) {
  Bytes data = to_bytes(name);
  if (data.size() < size) data.resize(size, uint8_t(name.size()));
  return data;
}

inline Cid cid_of(const std::string& name, size_t size = 0) {
  return Cid::of(block_data(name, size));
}

// An in-memory block store that answers BlockInfo.
class MemoryBlocks : public BlockInfo {
 public:
  Cid put(const std::string& name, size_t size = 0) { return put_bytes(block_data(name, size)); }
  Cid put_bytes(Bytes data) {
    Cid cid = Cid::of(data);
    blocks[cid] = std::move(data);
    return cid;
  }
  std::optional<size_t> block_size(const Cid& cid) override {
    ++lookups;
    auto it = blocks.find(cid);
    if (it == blocks.end()) return std::nullopt;
    return it->second.size();
  }
  std::map<Cid, Bytes> blocks;
  size_t lookups = 0;
};

inline WantEntry want_block(const Cid& cid, bool send_dont_have = false, int32_t priority = 1) {
  return {cid, priority, false, WantType::block, send_dont_have};
}
inline WantEntry want_have(const Cid& cid, bool send_dont_have = false, int32_t priority = 1) {
  return {cid, priority, false, WantType::have, send_dont_have};
}
inline WantEntry cancel_entry(const Cid& cid) { return {cid, 0, true, WantType::block, false}; }

inline Message wants(std::vector<WantEntry> entries, bool full = false) {
  Message m;
  m.wantlist = std::move(entries);
  m.full_wantlist = full;
  return m;
}

}  // namespace agora::bitswap::test
