#include "proto/multistream/multistream.h"

namespace agora {

MultistreamDialer::MultistreamDialer(std::vector<std::string> protocols, MultistreamConfig config)
    : protocols_(std::move(protocols)), config_(config), reader_(config.message_bytes_max) {
  // Pipelined: header and first proposal leave in one write.
  put_multistream_message(out_, kMultistreamProtocolId);
  if (!protocols_.empty()) put_multistream_message(out_, protocols_.front());
}

void MultistreamDialer::take_output(Bytes& out) {
  append(out, out_);
  out_.clear();
}

Bytes MultistreamDialer::take_rest() { return std::exchange(rest_, Bytes()); }

Status MultistreamDialer::fail(Error error) {
  state_ = State::failed;
  error_ = error;
  return error;
}

Status MultistreamDialer::on_bytes(BytesView in) {
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

Status MultistreamDialer::on_message(std::string_view message) {
  if (state_ == State::header) {
    if (message != kMultistreamProtocolId) {
      return make_error(Errc::protocol, "unexpected multistream header");
    }
    state_ = State::reply;
    if (protocols_.empty()) return make_error(Errc::unsupported, "no protocol to propose");
    return {};
  }
  if (message == protocols_[proposal_index_]) {
    selected_ = protocols_[proposal_index_];
    state_ = State::done;
    return {};
  }
  if (message != kMultistreamNa) {
    return make_error(Errc::protocol, "multistream reply is neither the proposal nor na");
  }
  if (++proposal_index_ == protocols_.size()) {
    return make_error(Errc::unsupported, "remote supports none of the proposed protocols");
  }
  put_multistream_message(out_, protocols_[proposal_index_]);
  return {};
}

}  // namespace agora
