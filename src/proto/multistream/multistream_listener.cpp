#include <algorithm>

#include "proto/multistream/multistream.h"

namespace agora {

MultistreamListener::MultistreamListener(std::vector<std::string> supported,
                                         MultistreamConfig config)
    : supported_(std::move(supported)), config_(config), reader_(config.message_bytes_max) {}

void MultistreamListener::take_output(Bytes& out) {
  append(out, out_);
  out_.clear();
}

Bytes MultistreamListener::take_rest() { return std::exchange(rest_, Bytes()); }

Status MultistreamListener::fail(Error error) {
  state_ = State::failed;
  error_ = error;
  return error;
}

Status MultistreamListener::on_bytes(BytesView in) {
  if (state_ == State::failed) return error_;
  if (state_ == State::done) {
    append(rest_, in);
    return {};
  }
  reader_.feed(in);
  while (state_ != State::done) {
    Result<std::optional<std::string_view>> message = reader_.next();
    if (!message.ok()) return fail(message.error());
    if (!message->has_value()) return {};
    Status status = on_message(**message);
    if (!status.ok()) return fail(status.error());
  }
  rest_ = reader_.take_rest();
  return {};
}

Status MultistreamListener::on_message(std::string_view message) {
  if (state_ == State::header) {
    if (message != kMultistreamProtocolId) {
      return make_error(Errc::protocol, "unexpected multistream header");
    }
    // Answered now rather than at construction so header and echo usually leave together.
    put_multistream_message(out_, kMultistreamProtocolId);
    state_ = State::proposal;
    return {};
  }
  auto it = std::find(supported_.begin(), supported_.end(), message);
  if (it != supported_.end()) {
    selected_ = *it;
    put_multistream_message(out_, selected_);
    state_ = State::done;
    return {};
  }
  if (++rejected_messages_ > config_.rejected_messages_max) {
    return make_error(Errc::limit, "too many refused multistream proposals");
  }
  if (message == kMultistreamLs) {
    put_multistream_ls_reply(out_, supported_);
  } else {
    put_multistream_message(out_, kMultistreamNa);
  }
  return {};
}

}  // namespace agora
