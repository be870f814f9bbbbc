// Directory entry names: what we write (import) and what we accept from the network (export).
#pragma once

#include <string_view>

#include "base/result.h"

namespace agora::unixfs {

// Longer names fail on every common filesystem (NAME_MAX is 255 on Linux).
inline constexpr size_t kEntryNameBytesMax = 255;

// Errc::invalid_input for "", ".", "..", a '/' or NUL anywhere, or more than kEntryNameBytesMax
// bytes: such a name would escape or corrupt the directory it is written into.
Status check_entry_name(std::string_view name);
// Names we create must also be UTF-8: dag-pb Name is a protobuf string.
bool is_valid_utf8(std::string_view s);

}  // namespace agora::unixfs
