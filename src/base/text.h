// Clean text: well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)
// without control characters (C0, DEL, C1). Strings a peer sends that end up in JSON, in logs
// and on terminals are held to it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace agora {

// The length (1 to 4) of the clean character that starts at s[at], or 0 when none does.
size_t clean_char_length(std::string_view s, size_t at);
bool is_clean_text(std::string_view s);
// Each byte that starts no clean character becomes '?'.
void make_clean_text(std::string& s);

}  // namespace agora
