// uvarint and LP framing: minimal encodings re-encode byte for byte, and the frame reader gives
// the same frames however the input is chunked, never buffering past its bound.
#include <cstdlib>

#include "codec/lp_frame.h"
#include "codec/varint.h"

using namespace agora;

static void check(bool ok) {
  if (!ok) std::abort();
}

static void check_varint(BytesView in) {
  auto v = read_uvarint(in);
  if (v.ok()) {
    Bytes again;
    put_uvarint(again, v->value);
    check(again.size() == v->size && uvarint_size(v->value) == v->size);
    check(std::equal(again.begin(), again.end(), in.begin()));
    return;
  }
  if (v.error().code == Errc::truncated) {
    // Only a short run of continuation bytes may be "truncated".
    check(in.size() < kUvarintBytesMax);
    for (uint8_t b : in) check(b & 0x80);
  } else {
    check(v.error().code == Errc::invalid_input);
  }
}

struct Outcome {
  std::vector<Bytes> frames;
  bool failed = false;
  Errc code = Errc::internal;
};

static Outcome read_frames(BytesView in, size_t frame_bytes_max, size_t chunk_bytes) {
  LpReader reader(frame_bytes_max);
  Outcome out;
  for (size_t pos = 0; pos < in.size() && !out.failed; pos += chunk_bytes) {
    reader.feed(in.subspan(pos, std::min(chunk_bytes, in.size() - pos)));
    for (;;) {
      auto f = reader.next();
      if (!f.ok()) {
        out.failed = true;
        out.code = f.error().code;
        break;
      }
      if (!f->has_value()) {
        check(reader.buffered() < kUvarintBytesMax + frame_bytes_max);
        break;
      }
      check((*f)->size() <= frame_bytes_max);
      out.frames.push_back(std::move(**f));
    }
  }
  if (!out.failed) {
    // Frames plus the unread tail rebuild the input exactly.
    Bytes rebuilt;
    for (const auto& frame : out.frames) put_lp(rebuilt, frame);
    append(rebuilt, reader.take_rest());
    check(rebuilt == Bytes(in.begin(), in.end()));
  }
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t frame_bytes_max = data[0];
  size_t chunk_bytes = data[1] % 16 + 1;
  BytesView in(data + 2, size - 2);
  check_varint(in);
  Outcome whole = read_frames(in, frame_bytes_max, in.size() + 1);
  Outcome chunked = read_frames(in, frame_bytes_max, chunk_bytes);
  check(whole.failed == chunked.failed && whole.code == chunked.code);
  check(whole.frames == chunked.frames);
  return 0;
}
