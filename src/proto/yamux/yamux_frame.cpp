#include "proto/yamux/yamux_frame.h"

#include <string>

namespace agora::yamux {

Result<YamuxHeader> parse_yamux_header(const uint8_t* p) {
  if (p[0] != 0) {
    return make_error(Errc::protocol, "yamux version " + std::to_string(p[0]) + " is not 0");
  }
  if (p[1] > static_cast<uint8_t>(YamuxType::go_away)) {
    return make_error(Errc::protocol, "yamux frame type " + std::to_string(p[1]) + " unknown");
  }
  YamuxHeader header;
  header.type = static_cast<YamuxType>(p[1]);
  header.flags = get_u16_be(p + 2);
  header.stream = get_u32_be(p + 4);
  header.length = get_u32_be(p + 8);
  return header;
}

}  // namespace agora::yamux
