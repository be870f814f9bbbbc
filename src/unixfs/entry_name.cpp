#include "unixfs/entry_name.h"

#include <string>

namespace agora::unixfs {

Status check_entry_name(std::string_view name) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_input,
                      "entry name '" + std::string(name.substr(0, 64)) + "' " + why);
  };
  if (name.empty()) return make_error(Errc::invalid_input, "empty entry name");
  if (name == "." || name == "..") return bad("is not allowed");
  if (name.find('/') != std::string_view::npos) return bad("contains '/'");
  if (name.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (name.size() > kEntryNameBytesMax)
    return bad("is longer than " + std::to_string(kEntryNameBytesMax) + " bytes");
  return {};
}

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = uint8_t(s[i]);
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (size_t k = 1; k <= extra; ++k) {
      uint8_t d = uint8_t(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace agora::unixfs
