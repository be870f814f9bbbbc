// agora's version, as peers see it in identify's agent version.
#pragma once

#include <string>

namespace agora {

inline constexpr const char* kAgoraVersion = "0.1.0";
inline std::string agent_version() { return std::string("agora/") + kAgoraVersion; }  // "agora/<v>"

}  // namespace agora
