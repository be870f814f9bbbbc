#include <algorithm>
#include <cstring>

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

// The peer's first message must be the header, byte for byte: the first byte that differs ends
// the negotiation, rather than a wait for a length read from garbage (a peer that is not libp2p,
// or one whose private-network key differs). Byte by byte, so chunking never changes the outcome.
Status MultistreamNegotiation::check_header_prefix(BytesView in) {
  static const std::string kHeader =
      char(kMultistreamProtocolId.size() + 1) + std::string(kMultistreamProtocolId) + "\n";
  if (header_prefix_checked_ >= kHeader.size()) return {};
  size_t n = std::min(in.size(), kHeader.size() - header_prefix_checked_);
  if (std::memcmp(in.data(), kHeader.data() + header_prefix_checked_, n) != 0)
    return make_error(Errc::protocol,
                      "the peer did not send the multistream header: it does not speak libp2p "
                      "here, or it is in a private network (swarm key) we are not in");
  header_prefix_checked_ += n;
  return {};
}

Status MultistreamNegotiation::on_bytes(BytesView in) {
  if (failed_) return error_;
  if (done_) {
    append(rest_, in);
    return {};
  }
  if (Status st = check_header_prefix(in); !st) {
    failed_ = true;
    error_ = st.error();
    return error_;
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
