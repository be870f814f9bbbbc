// Yamux frame header (libp2p/specs yamux): 12 bytes, big-endian.
//   version(1)=0 | type(1) | flags(2) | stream id(4) | length(4)
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"

namespace agora::yamux {

using StreamId = uint32_t;

inline constexpr size_t kYamuxHeaderBytes = 12;
inline constexpr uint32_t kYamuxSpecWindowBytes = 256 * 1024;  // every stream starts with this

enum class YamuxType : uint8_t { data = 0, window_update = 1, ping = 2, go_away = 3 };

namespace yamux_flag {
inline constexpr uint16_t syn = 0x1;
inline constexpr uint16_t ack = 0x2;
inline constexpr uint16_t fin = 0x4;
inline constexpr uint16_t rst = 0x8;
}  // namespace yamux_flag

enum class YamuxGoAwayCode : uint32_t { normal = 0, protocol_error = 1, internal_error = 2 };

struct YamuxHeader {
  YamuxType type = YamuxType::data;
  uint16_t flags = 0;
  StreamId stream = 0;
  // Data: payload bytes; WindowUpdate: window delta; Ping: opaque value; GoAway: error code.
  uint32_t length = 0;
};

inline void put_yamux_header(uint8_t* p, const YamuxHeader& header) {
  p[0] = 0;
  p[1] = static_cast<uint8_t>(header.type);
  put_u16_be(p + 2, header.flags);
  put_u32_be(p + 4, header.stream);
  put_u32_be(p + 8, header.length);
}

inline void put_yamux_header(Bytes& out, const YamuxHeader& header) {
  size_t at = out.size();
  out.resize(at + kYamuxHeaderBytes);
  put_yamux_header(out.data() + at, header);
}

// Reads 12 bytes. Errc::protocol for a version other than 0 or an unknown type.
Result<YamuxHeader> parse_yamux_header(const uint8_t* p);

}  // namespace agora::yamux
