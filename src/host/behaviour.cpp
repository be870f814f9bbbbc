#include "host/behaviour.h"

namespace agora::host {

Result<Bytes> frame_message(const Framing& framing, BytesView message) {
  if (framing.kind == Framing::Kind::fixed_size) {
    if (message.size() != framing.message_bytes_max)
      return make_error(Errc::invalid_input, "message of " + std::to_string(message.size()) +
                                                 " bytes; the protocol's are " +
                                                 std::to_string(framing.message_bytes_max));
    return Bytes(message.begin(), message.end());
  }

  if (message.size() > framing.message_bytes_max)
    return make_error(Errc::too_large, "message of " + std::to_string(message.size()) +
                                           " bytes exceeds max " +
                                           std::to_string(framing.message_bytes_max));
  if (framing.kind == Framing::Kind::bytes) return Bytes(message.begin(), message.end());
  return lp_encode(message);
}

MessageReader::MessageReader(Framing framing) : framing_(framing), lp_(framing.message_bytes_max) {}

void MessageReader::feed(BytesView chunk) {
  if (framing_.kind == Framing::Kind::length_prefixed) {
    lp_.feed(chunk);
    return;
  }
  if (pending_pos_ == pending_.size()) {
    pending_.clear();
    pending_pos_ = 0;
  }
  append(pending_, chunk);
}

Result<std::optional<Bytes>> MessageReader::next() {
  if (framing_.kind == Framing::Kind::length_prefixed) return lp_.next();
  const size_t want = framing_.message_bytes_max;
  size_t take = std::min(want - fixed_.size(), pending_.size() - pending_pos_);
  fixed_.insert(fixed_.end(), pending_.begin() + ptrdiff_t(pending_pos_),
                pending_.begin() + ptrdiff_t(pending_pos_ + take));
  pending_pos_ += take;
  if (fixed_.size() < want) return std::optional<Bytes>();
  Bytes message = std::move(fixed_);
  fixed_.clear();
  return std::optional<Bytes>(std::move(message));
}

size_t MessageReader::buffered() const {
  if (framing_.kind == Framing::Kind::length_prefixed) return lp_.buffered();
  return fixed_.size() + (pending_.size() - pending_pos_);
}

}  // namespace agora::host
