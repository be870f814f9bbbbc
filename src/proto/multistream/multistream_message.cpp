#include "proto/multistream/multistream_message.h"

#include "codec/varint.h"

namespace agora::multistream {

void put_multistream_message(Bytes& out, std::string_view text) {
  put_uvarint(out, text.size() + 1);
  append(out, as_bytes(text));
  out.push_back('\n');
}

void put_multistream_ls_reply(Bytes& out, const std::vector<std::string>& protocols) {
  Bytes body;
  for (const std::string& protocol : protocols) put_multistream_message(body, protocol);
  body.push_back('\n');
  put_uvarint(out, body.size());
  append(out, body);
}

void MultistreamReader::feed(BytesView chunk) {
  if (pos_ > 0) {  // Drop consumed messages; only a partial one remains.
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(pos_));
    pos_ = 0;
  }
  append(buf_, chunk);
}

Result<std::optional<std::string_view>> MultistreamReader::next() {
  BytesView pending = BytesView(buf_).subspan(pos_);
  if (pending.empty()) return std::optional<std::string_view>();
  Result<Uvarint> length = read_uvarint(pending);
  if (!length.ok()) {
    if (length.error().code == Errc::truncated) return std::optional<std::string_view>();
    return length.error();
  }
  if (length->value > message_bytes_max_) {
    return make_error(Errc::too_large, "multistream message of " + std::to_string(length->value) +
                                           " bytes over limit " +
                                           std::to_string(message_bytes_max_));
  }
  if (length->value == 0) return make_error(Errc::protocol, "empty multistream message");
  size_t body_bytes = static_cast<size_t>(length->value);
  if (pending.size() - length->size < body_bytes) return std::optional<std::string_view>();
  BytesView body = pending.subspan(length->size, body_bytes);
  if (body.back() != '\n') {
    return make_error(Errc::protocol, "multistream message does not end in a newline");
  }
  pos_ += length->size + body_bytes;
  return std::optional<std::string_view>(as_chars(body.first(body_bytes - 1)));
}

Bytes MultistreamReader::take_rest() {
  Bytes rest(buf_.begin() + static_cast<ptrdiff_t>(pos_), buf_.end());
  buf_.clear();
  pos_ = 0;
  return rest;
}

}  // namespace agora::multistream
