#include <algorithm>

#include "proto/multistream/multistream.h"

namespace agora::multistream {

MultistreamListener::MultistreamListener(std::vector<std::string> supported,
                                         MultistreamConfig config)
    : MultistreamNegotiation(config), supported_(std::move(supported)) {}

Status MultistreamListener::on_header() {
  // Answered now rather than at construction so header and echo usually leave together.
  put_multistream_message(out_, kMultistreamProtocolId);
  return {};
}

Status MultistreamListener::on_message(std::string_view message) {
  auto it = std::find(supported_.begin(), supported_.end(), message);
  if (it != supported_.end()) {
    put_multistream_message(out_, *it);
    select(*it);
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

}  // namespace agora::multistream
