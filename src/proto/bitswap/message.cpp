#include "proto/bitswap/message.h"

#include <string>

#include "codec/protobuf.h"
#include "codec/varint.h"

namespace agora::bitswap {
namespace {

// Message
constexpr uint32_t kWantlist = 1;
constexpr uint32_t kBlocksV0 = 2;  // 1.0.0: bare block data, CIDv0
constexpr uint32_t kPayload = 3;
constexpr uint32_t kPresences = 4;
constexpr uint32_t kPendingBytes = 5;
// Wantlist
constexpr uint32_t kEntries = 1;
constexpr uint32_t kFull = 2;
// Wantlist.Entry
constexpr uint32_t kEntryCid = 1;
constexpr uint32_t kEntryPriority = 2;
constexpr uint32_t kEntryCancel = 3;
constexpr uint32_t kEntryWantType = 4;
constexpr uint32_t kEntrySendDontHave = 5;
// Block
constexpr uint32_t kBlockPrefix = 1;
constexpr uint32_t kBlockData = 2;
// BlockPresence
constexpr uint32_t kPresenceCid = 1;
constexpr uint32_t kPresenceType = 2;

Error invalid(const std::string& what) {
  return make_error(Errc::invalid_input, "bitswap: " + what);
}

Error too_large(const std::string& what, size_t max) {
  return make_error(Errc::too_large, "bitswap: " + what + " over " + std::to_string(max));
}

Status expect_type(const pb::Field& f, pb::WireType type, const char* name) {
  if (f.type != type) return invalid(std::string(name) + " has the wrong wire type");
  return {};
}

// Protobuf int32 is sign-extended to 64 bits on the wire; decoders keep the low 32 bits.
uint64_t int32_wire(int32_t v) { return uint64_t(int64_t(v)); }
int32_t int32_from_wire(uint64_t v) { return int32_t(uint32_t(v)); }

Bytes entry_body(const WantEntry& e) {
  pb::Writer w;
  w.bytes(kEntryCid, e.cid.bytes());
  if (e.priority != 0) w.varint(kEntryPriority, int32_wire(e.priority));
  if (e.cancel) w.varint(kEntryCancel, 1);
  if (e.type != WantType::block) w.varint(kEntryWantType, uint64_t(e.type));
  if (e.send_dont_have) w.varint(kEntrySendDontHave, 1);
  return w.take();
}

Bytes presence_body(const Presence& p) {
  pb::Writer w;
  w.bytes(kPresenceCid, p.cid.bytes());
  if (p.type != PresenceType::have) w.varint(kPresenceType, uint64_t(p.type));
  return w.take();
}

size_t field_bytes(size_t body_bytes) { return 1 + uvarint_size(body_bytes) + body_bytes; }

Result<WantEntry> decode_entry(BytesView in, size_t index) {
  const std::string where = "wantlist entry " + std::to_string(index) + ": ";
  WantEntry e;
  e.priority = 0;  // proto3 default; Helia and boxo send it explicitly
  bool has_cid = false;
  pb::Reader r(in);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    switch (f.number) {
      case kEntryCid: {
        AGORA_TRY(expect_type(f, pb::kLen, "wantlist entry cid"));
        auto cid = Cid::from_bytes(f.bytes);
        if (!cid.ok()) return invalid(where + cid.error().message);
        e.cid = std::move(cid).value();
        has_cid = true;
        break;
      }
      case kEntryPriority:
        AGORA_TRY(expect_type(f, pb::kVarint, "wantlist entry priority"));
        e.priority = int32_from_wire(f.varint);
        break;
      case kEntryCancel:
        AGORA_TRY(expect_type(f, pb::kVarint, "wantlist entry cancel"));
        e.cancel = f.varint != 0;
        break;
      case kEntryWantType:
        AGORA_TRY(expect_type(f, pb::kVarint, "wantlist entry wantType"));
        if (f.varint > 1) return invalid(where + "unknown wantType " + std::to_string(f.varint));
        e.type = WantType(f.varint);
        break;
      case kEntrySendDontHave:
        AGORA_TRY(expect_type(f, pb::kVarint, "wantlist entry sendDontHave"));
        e.send_dont_have = f.varint != 0;
        break;
      default:
        break;
    }
  }
  if (!has_cid) return invalid(where + "no cid");
  return e;
}

Status decode_wantlist(BytesView in, const MessageLimits& limits, Message& out) {
  pb::Reader r(in);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == kEntries) {
      AGORA_TRY(expect_type(f, pb::kLen, "wantlist entry"));
      if (out.wantlist.size() >= limits.wantlist_entries_max)
        return too_large("wantlist entry count", limits.wantlist_entries_max);
      AGORA_ASSIGN(WantEntry e, decode_entry(f.bytes, out.wantlist.size()));
      out.wantlist.push_back(std::move(e));
    } else if (f.number == kFull) {
      AGORA_TRY(expect_type(f, pb::kVarint, "wantlist full"));
      out.full_wantlist = f.varint != 0;
    }
  }
  return {};
}

Result<Block> decode_payload(BytesView in, const MessageLimits& limits, size_t index) {
  const std::string where = "payload block " + std::to_string(index) + ": ";
  std::optional<BytesView> prefix, data;
  pb::Reader r(in);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == kBlockPrefix) {
      AGORA_TRY(expect_type(f, pb::kLen, "payload block prefix"));
      prefix = f.bytes;
    } else if (f.number == kBlockData) {
      AGORA_TRY(expect_type(f, pb::kLen, "payload block data"));
      if (f.bytes.size() > limits.block_bytes_max)
        return too_large(where + "data of " + std::to_string(f.bytes.size()) + " bytes",
                         limits.block_bytes_max);
      data = f.bytes;
    }
  }
  if (!prefix) return invalid(where + "no prefix");
  BytesView body = data.value_or(BytesView{});
  auto cid = cid_from_prefix(*prefix, body);
  if (!cid.ok()) return invalid(where + cid.error().message);
  return Block{std::move(cid).value(), Bytes(body.begin(), body.end())};
}

Result<Presence> decode_presence(BytesView in, size_t index) {
  const std::string where = "block presence " + std::to_string(index) + ": ";
  Presence p;
  bool has_cid = false;
  pb::Reader r(in);
  while (!r.done()) {
    AGORA_ASSIGN(pb::Field f, r.next());
    if (f.number == kPresenceCid) {
      AGORA_TRY(expect_type(f, pb::kLen, "block presence cid"));
      auto cid = Cid::from_bytes(f.bytes);
      if (!cid.ok()) return invalid(where + cid.error().message);
      p.cid = std::move(cid).value();
      has_cid = true;
    } else if (f.number == kPresenceType) {
      AGORA_TRY(expect_type(f, pb::kVarint, "block presence type"));
      if (f.varint > 1) return invalid(where + "unknown type " + std::to_string(f.varint));
      p.type = PresenceType(f.varint);
    }
  }
  if (!has_cid) return invalid(where + "no cid");
  return p;
}

Status check_block_count(const Message& m, const MessageLimits& limits) {
  if (m.blocks.size() >= limits.blocks_max) return too_large("block count", limits.blocks_max);
  return {};
}

Status decode_field(const pb::Field& f, const MessageLimits& limits, Message& m) {
  switch (f.number) {
    case kWantlist:
      AGORA_TRY(expect_type(f, pb::kLen, "wantlist"));
      return decode_wantlist(f.bytes, limits, m);  // repeated: protobuf merges them
    case kBlocksV0: {
      AGORA_TRY(expect_type(f, pb::kLen, "blocks"));
      AGORA_TRY(check_block_count(m, limits));
      if (f.bytes.size() > limits.block_bytes_max)
        return too_large("1.0.0 block " + std::to_string(m.blocks.size()) + " of " +
                             std::to_string(f.bytes.size()) + " bytes",
                         limits.block_bytes_max);
      m.blocks.push_back(
          Block{Cid::of(f.bytes, kCodecDagPb, 0), Bytes(f.bytes.begin(), f.bytes.end())});
      return {};
    }
    case kPayload: {
      AGORA_TRY(expect_type(f, pb::kLen, "payload"));
      AGORA_TRY(check_block_count(m, limits));
      AGORA_ASSIGN(Block b, decode_payload(f.bytes, limits, m.blocks.size()));
      m.blocks.push_back(std::move(b));
      return {};
    }
    case kPresences: {
      AGORA_TRY(expect_type(f, pb::kLen, "block presence"));
      if (m.presences.size() >= limits.presences_max)
        return too_large("block presence count", limits.presences_max);
      AGORA_ASSIGN(Presence p, decode_presence(f.bytes, m.presences.size()));
      m.presences.push_back(std::move(p));
      return {};
    }
    case kPendingBytes:
      AGORA_TRY(expect_type(f, pb::kVarint, "pendingBytes"));
      m.pending_bytes = int32_from_wire(f.varint);
      return {};
    default:
      return {};  // unknown field, skipped for forward compatibility
  }
}

size_t wantlist_body_bytes(const Message& m) {
  size_t n = m.full_wantlist ? 2 : 0;
  for (const WantEntry& e : m.wantlist) n += encoded_entry_bytes(e);
  return n;
}

bool has_wantlist(const Message& m) { return !m.wantlist.empty() || m.full_wantlist; }

size_t message_body_bytes(const Message& m) {
  size_t n = has_wantlist(m) ? field_bytes(wantlist_body_bytes(m)) : 0;
  for (const Block& b : m.blocks) n += encoded_block_bytes(b);
  for (const Presence& p : m.presences) n += encoded_presence_bytes(p);
  if (m.pending_bytes != 0) n += 1 + uvarint_size(int32_wire(m.pending_bytes));
  return n;
}

// Fields in tag order, embedded messages written in place (no buffer per block).
void write_message(pb::Writer& w, const Message& m) {
  if (has_wantlist(m)) {
    w.embedded_header(kWantlist, wantlist_body_bytes(m));
    for (const WantEntry& e : m.wantlist) w.bytes(kEntries, entry_body(e));
    if (m.full_wantlist) w.varint(kFull, 1);
  }
  for (const Block& b : m.blocks) {
    Bytes prefix = cid_prefix(b.cid);
    w.embedded_header(kPayload, field_bytes(prefix.size()) + field_bytes(b.data.size()));
    w.bytes(kBlockPrefix, prefix);
    w.bytes(kBlockData, b.data);
  }
  for (const Presence& p : m.presences) w.bytes(kPresences, presence_body(p));
  if (m.pending_bytes != 0) w.varint(kPendingBytes, int32_wire(m.pending_bytes));
}

}  // namespace

Bytes encode_message(const Message& m) {
  pb::Writer w;
  w.reserve(message_body_bytes(m));
  write_message(w, m);
  return w.take();
}

Bytes encode_message_frame(const Message& m) {
  const size_t body = message_body_bytes(m);
  Bytes out;
  out.reserve(uvarint_size(body) + body);
  put_uvarint(out, body);
  pb::Writer w(std::move(out));
  write_message(w, m);
  return w.take();
}

Result<Message> decode_message(BytesView bytes, const MessageLimits& limits) {
  if (bytes.size() > limits.message_bytes_max)
    return too_large("message of " + std::to_string(bytes.size()) + " bytes",
                     limits.message_bytes_max);
  Message m;
  pb::Reader r(bytes);
  while (!r.done()) {
    auto f = r.next();
    if (!f.ok()) return invalid("malformed message: " + f.error().message);
    AGORA_TRY(decode_field(*f, limits, m));
  }
  return m;
}

size_t encoded_entry_bytes(const WantEntry& e) { return field_bytes(entry_body(e).size()); }
size_t encoded_block_bytes(const Block& b) {
  size_t body = field_bytes(cid_prefix(b.cid).size()) + field_bytes(b.data.size());
  return field_bytes(body);
}
size_t encoded_presence_bytes(const Presence& p) { return field_bytes(presence_body(p).size()); }

Result<std::vector<Message>> split_message(Message message, const MessageLimits& limits) {
  std::vector<Message> parts;
  Message part;
  part.full_wantlist = message.full_wantlist;
  part.pending_bytes = message.pending_bytes;
  size_t part_bytes = kMessageOverheadBytesMax;
  // Makes room for one item of `item_bytes`, opening a new part when the current one is full.
  auto place = [&](size_t item_bytes, size_t count, size_t count_max, const char* what) -> Status {
    if (count_max == 0) return too_large(std::string(what) + " count", count_max);
    if (kMessageOverheadBytesMax + item_bytes > limits.message_bytes_max)
      return too_large(
          std::string(what) + " of " + std::to_string(item_bytes) + " encoded bytes in a message",
          limits.message_bytes_max);
    if (part_bytes + item_bytes > limits.message_bytes_max || count >= count_max) {
      parts.push_back(std::move(part));
      part = Message{};
      part.pending_bytes = message.pending_bytes;
      part_bytes = kMessageOverheadBytesMax;
    }
    part_bytes += item_bytes;
    return {};
  };
  for (Block& b : message.blocks) {
    if (b.data.size() > limits.block_bytes_max)
      return too_large("block of " + std::to_string(b.data.size()) + " bytes",
                       limits.block_bytes_max);
    AGORA_TRY(place(encoded_block_bytes(b), part.blocks.size(), limits.blocks_max, "block"));
    part.blocks.push_back(std::move(b));
  }
  for (Presence& p : message.presences) {
    AGORA_TRY(place(encoded_presence_bytes(p), part.presences.size(), limits.presences_max,
                    "block presence"));
    part.presences.push_back(std::move(p));
  }
  for (WantEntry& e : message.wantlist) {
    AGORA_TRY(place(encoded_entry_bytes(e), part.wantlist.size(), limits.wantlist_entries_max,
                    "wantlist entry"));
    part.wantlist.push_back(std::move(e));
  }
  parts.push_back(std::move(part));
  return parts;
}

}  // namespace agora::bitswap
