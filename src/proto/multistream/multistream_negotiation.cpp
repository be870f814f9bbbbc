#include "proto/multistream/multistream.h"

namespace agora::multistream {

MultistreamNegotiation::MultistreamNegotiation(MultistreamConfig config)
    : config_(config), reader_(config.message_bytes_max) {}

void MultistreamNegotiation::take_output(Bytes& out) {
  append(out, out_);
  out_.clear();
}

Bytes MultistreamNegotiation::take_rest() { return std::exchange(rest_, Bytes()); }

void MultistreamNegotiation::select(std::string protocol) {
  selected_ = std::move(protocol);
  done_ = true;
}

Status MultistreamNegotiation::on_bytes(BytesView in) {
  if (failed_) return error_;
  if (done_) {
    append(rest_, in);
    return {};
  }
  reader_.feed(in);
  while (!done_) {
    Result<std::optional<std::string_view>> message = reader_.next();
    Status status;
    if (!message.ok()) {
      status = message.error();
    } else if (!message->has_value()) {
      return {};
    } else if (!header_seen_) {
      header_seen_ = true;
      status = **message == kMultistreamProtocolId
                   ? on_header()
                   : make_error(Errc::protocol, "unexpected multistream header");
    } else {
      status = on_message(**message);
    }
    if (!status.ok()) {
      failed_ = true;
      error_ = status.error();
      return error_;
    }
  }
  rest_ = reader_.take_rest();
  return {};
}

}  // namespace agora::multistream
