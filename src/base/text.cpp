#include "base/text.h"

#include <cstdint>

namespace agora {

size_t clean_char_length(std::string_view s, size_t at) {
  const auto c = uint8_t(s[at]);
  const size_t extra = c < 0x80              ? 0
                       : (c >> 5) == 0b110   ? 1
                       : (c >> 4) == 0b1110  ? 2
                       : (c >> 3) == 0b11110 ? 3
                                             : 4;  // a continuation byte or 0xf8..0xff
  if (extra == 4 || at + extra >= s.size()) return 0;
  uint32_t cp = c & (0x7f >> extra);
  for (size_t k = 1; k <= extra; ++k) {
    const auto next = uint8_t(s[at + k]);
    if ((next & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (next & 0x3f);
  }
  static constexpr uint32_t kShortest[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kShortest[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return 0;  // controls
  return extra + 1;
}

bool is_clean_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = clean_char_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void make_clean_text(std::string& s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = clean_char_length(s, i);
    if (n == 0) {
      s[i++] = '?';
    } else {
      i += n;
    }
  }
}

}  // namespace agora
