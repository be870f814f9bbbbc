// Bitswap messages (`/ipfs/bitswap/1.2.0`, ipfs/specs src/bitswap-protocol.md).
//
// We encode blocks only as 1.1+ `payload` (field 3: CID prefix + data) and never the 1.0.0
// `blocks` field (2): Helia registers 1.2.0 only, and a CIDv0 in `blocks` says nothing the
// prefix `00 70 12 20` does not. Decoding accepts both; either way the block's CID is rebuilt by
// hashing its data, so a decoded Block's cid always matches its data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "codec/cid.h"

namespace agora::bitswap {

inline constexpr std::string_view kProtocolId = "/ipfs/bitswap/1.2.0";

enum class WantType : uint8_t { block = 0, have = 1 };
enum class PresenceType : uint8_t { have = 0, dont_have = 1 };

struct WantEntry {
  Cid cid;
  int32_t priority = 1;  // higher first
  bool cancel = false;
  WantType type = WantType::block;
  bool send_dont_have = false;
  bool operator==(const WantEntry&) const = default;
};

struct Block {
  Cid cid;
  Bytes data;
  bool operator==(const Block&) const = default;
};

struct Presence {
  Cid cid;
  PresenceType type = PresenceType::have;
  bool operator==(const Presence&) const = default;
};

struct Message {
  std::vector<WantEntry> wantlist;
  bool full_wantlist = false;  // replaces the receiver's copy of our wantlist
  std::vector<Block> blocks;
  std::vector<Presence> presences;
  int32_t pending_bytes = 0;  // bytes the sender still has queued for the receiver
  bool operator==(const Message&) const = default;
  bool empty() const {
    return wantlist.empty() && !full_wantlist && blocks.empty() && presences.empty();
  }
};

// Everything here is chosen by the remote peer. The spec caps messages at 4 MiB and recommends
// blocks of at most 2 MiB; Helia and boxo keep at most 1024 wantlist entries per peer.
struct MessageLimits {
  size_t message_bytes_max = 4 * 1024 * 1024;
  size_t wantlist_entries_max = 1024;
  size_t block_bytes_max = 2 * 1024 * 1024;
  size_t blocks_max = 4096;     // 4 MiB of 1 KiB blocks (want-have answered with small blocks)
  size_t presences_max = 4096;  // a few answers per wantlist entry
};

Bytes encode_message(const Message& message);
// The same, behind its uvarint length prefix, as sent on a stream. Block data is copied once.
Bytes encode_message_frame(const Message& message);

// Errc::too_large when a limit is exceeded, Errc::invalid_input for malformed protobuf, a bad
// CID or prefix, or an unknown enum value; the message names the field and the limit. Unknown
// fields are skipped.
Result<Message> decode_message(BytesView bytes, const MessageLimits& limits = {});

// Exact encoded sizes, for packing messages under a byte limit.
size_t encoded_entry_bytes(const WantEntry& entry);  // as one Wantlist.entries field
size_t encoded_block_bytes(const Block& block);      // as one Message.payload field
size_t encoded_presence_bytes(const Presence& presence);
// Upper bound on the bytes a message adds besides its entries, blocks and presences: the
// wantlist header, `full` and `pendingBytes`.
inline constexpr size_t kMessageOverheadBytesMax = 1 + 5 + 2 + 11;

// Packs `message` into messages the receiver accepts under `limits` (encoded size and the
// counts), in order: blocks, presences, then wantlist entries. `full_wantlist` goes on the first
// part only, so the receiver replaces its copy first and the later parts add to it (Helia puts it
// on the last part, which drops the earlier parts' entries). Errc::too_large when one item alone
// does not fit or a block is over block_bytes_max. pending_bytes is copied to every part.
Result<std::vector<Message>> split_message(Message message, const MessageLimits& limits = {});

}  // namespace agora::bitswap
