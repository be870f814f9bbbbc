#include "codec/lp_frame.h"

#include "codec/varint.h"

namespace agora {

void put_lp(Bytes& out, BytesView message) {
  put_uvarint(out, message.size());
  append(out, message);
}

Bytes lp_encode(BytesView message) {
  Bytes out;
  out.reserve(uvarint_size(message.size()) + message.size());
  put_lp(out, message);
  return out;
}

Result<std::optional<BytesView>> LpReader::next_view() {
  // The previous frame's bytes are dropped now, not when it was returned: its view was in use.
  // Compacting only once consumed bytes dominate keeps it amortized O(1).
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + ptrdiff_t(pos_));
    pos_ = 0;
  }
  BytesView rest = BytesView(buf_).subspan(pos_);
  auto prefix = read_uvarint(rest);
  if (!prefix.ok()) {
    if (prefix.error().code == Errc::truncated) return std::optional<BytesView>();
    return prefix.error();
  }
  if (prefix->value > max_) {
    return make_error(Errc::too_large, "lp frame of " + std::to_string(prefix->value) +
                                           " bytes exceeds max " + std::to_string(max_));
  }
  size_t body_bytes = size_t(prefix->value);
  if (rest.size() - prefix->size < body_bytes) return std::optional<BytesView>();
  pos_ += prefix->size + body_bytes;
  return std::optional<BytesView>(rest.subspan(prefix->size, body_bytes));
}

Result<std::optional<Bytes>> LpReader::next() {
  AGORA_ASSIGN(std::optional<BytesView> view, next_view());
  if (!view) return std::optional<Bytes>();
  return std::optional<Bytes>(Bytes(view->begin(), view->end()));
}

Bytes LpReader::take_rest() {
  Bytes rest(buf_.begin() + ptrdiff_t(pos_), buf_.end());
  buf_.clear();
  pos_ = 0;
  return rest;
}

}  // namespace agora
