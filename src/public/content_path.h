// "<cid>[/path]" (or "/ipfs/<cid>[/path]") -> the root CID and the path below it.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "codec/cid.h"

namespace agora {

inline Result<std::pair<Cid, std::string>> parse_content_path(std::string_view text) {
  std::string arg(text);
  if (arg.rfind("/ipfs/", 0) == 0) arg = arg.substr(6);
  size_t slash = arg.find('/');
  AGORA_ASSIGN(Cid root, Cid::parse(arg.substr(0, slash)));
  return std::pair{root, slash == std::string::npos ? std::string() : arg.substr(slash + 1)};
}

}  // namespace agora
