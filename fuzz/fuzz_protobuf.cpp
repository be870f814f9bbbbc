// Protobuf reader: fields it returns lie inside the input and re-encode to a message that
// reads back as the same fields.
#include <cstdlib>

#include "codec/protobuf.h"

using namespace agora;

static void check(bool ok) {
  if (!ok) std::abort();
}

struct Seen {
  uint32_t number;
  pb::WireType type;
  uint64_t varint;
  Bytes bytes;
  bool operator==(const Seen&) const = default;
};

// Reads all fields; false on error. Every field consumes at least one byte, so this ends.
static bool read_all(BytesView in, std::vector<Seen>& out) {
  pb::Reader r(in);
  while (!r.done()) {
    auto f = r.next();
    if (!f.ok()) return false;
    check(f->number >= 1 && f->number <= 0x1fffffff);
    if (f->type == pb::kLen) {
      check(f->bytes.data() >= in.data() &&
            f->bytes.data() + f->bytes.size() <= in.data() + in.size());
    }
    check(out.size() < in.size());
    out.push_back({f->number, f->type, f->varint, Bytes(f->bytes.begin(), f->bytes.end())});
  }
  return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<Seen> fields;
  if (!read_all(BytesView(data, size), fields)) return 0;
  pb::Writer w;
  for (const auto& f : fields) {
    switch (f.type) {
      case pb::kVarint:
        w.varint(f.number, f.varint);
        break;
      case pb::kLen:
        w.bytes(f.number, f.bytes);
        break;
      case pb::kFixed32:
        w.fixed32(f.number, uint32_t(f.varint));
        break;
      case pb::kFixed64:
        w.fixed64(f.number, f.varint);
        break;
    }
  }
  Bytes encoded = w.take();
  check(encoded.size() <= size);  // canonical encoding is never longer than what was read
  std::vector<Seen> again;
  check(read_all(encoded, again));
  check(again == fields);
  return 0;
}
