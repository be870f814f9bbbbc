// TOML text for values, shared by the config's renderer (config.cpp) and its in-place edits
// (config_edit.cpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace agora::store {

// A TOML basic string with the escapes the spec requires.
std::string toml_quote(std::string_view s);
// A one-line TOML array of basic strings.
std::string toml_array(const std::vector<std::string>& items);

}  // namespace agora::store
