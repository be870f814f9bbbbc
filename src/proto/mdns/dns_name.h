// DNS names (RFC 1035 §3.1, §4.1.4) as mDNS uses them: labels of raw bytes, compression on both
// decode and encode.
//
// A name read from a message may use compression pointers. A hostile message can point a name at
// itself or chain pointers, so every pointer must point strictly before where the name (or the
// last pointer's target) began: targets decrease, so following them always ends, and jumps_max
// caps the work. Names over 255 bytes or labels over 63 are refused, as is the reserved 0x40/0x80
// label type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace agora::mdns {

inline constexpr size_t kLabelBytesMax = 63;
inline constexpr size_t kNameBytesMax = 255;  // wire form: length bytes, labels and the root byte
// A pointer can only land before the name it continues; real encoders chain at most one per label.
inline constexpr size_t kNameJumpsMax = 128;

struct Name {
  std::vector<std::string> labels;  // raw bytes, dots allowed inside a label; none = the root

  // "_p2p._udp.local" or "_p2p._udp.local." (no escapes). Errors name the bad label.
  static Result<Name> parse(std::string_view dotted);
  // Dotted text; '.', '\\' and bytes outside printable ASCII are escaped as \DDD.
  std::string to_string() const;
  size_t wire_bytes() const;
  // Byte-exact; DNS compares names without regard to ASCII case: use same_name() for that.
  bool operator==(const Name&) const = default;
};

// RFC 1035 §2.3.3: ASCII letters compare case-insensitively.
bool same_name(const Name& a, const Name& b);
bool same_label(std::string_view a, std::string_view b);
// Labels 1..63 bytes, whole name <= 255 bytes.
Status check_name(const Name& name);

// Reads the name at `offset` in `message` (the whole DNS message, so pointers resolve), and moves
// `offset` past the name's bytes in place (up to and including its first pointer).
Result<Name> read_name(BytesView message, size_t& offset, size_t jumps_max = kNameJumpsMax);

// Writes names into one message, pointing each at the longest suffix already written there.
// Only byte-identical suffixes are shared, so decoding gives back exactly the names written.
class NameWriter {
 public:
  Status write(Bytes& message, const Name& name);

 private:
  std::map<std::string, uint16_t> suffix_offsets_;  // wire form of a suffix -> where it starts
};

}  // namespace agora::mdns
