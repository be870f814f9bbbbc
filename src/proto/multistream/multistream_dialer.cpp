#include "proto/multistream/multistream.h"

namespace agora::multistream {

MultistreamDialer::MultistreamDialer(std::vector<std::string> protocols, MultistreamConfig config)
    : MultistreamNegotiation(config), protocols_(std::move(protocols)) {
  // Pipelined: header and first proposal leave in one write.
  put_multistream_message(out_, kMultistreamProtocolId);
  if (!protocols_.empty()) put_multistream_message(out_, protocols_.front());
}

Status MultistreamDialer::on_header() {
  if (protocols_.empty()) return make_error(Errc::unsupported, "no protocol to propose");
  return {};
}

Status MultistreamDialer::on_message(std::string_view message) {
  if (message == protocols_[proposal_index_]) {
    select(protocols_[proposal_index_]);
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

}  // namespace agora::multistream
