// `agora daemon`: run the node in the foreground until SIGINT/SIGTERM or an API shutdown request.
#pragma once

#include <filesystem>

namespace agora {

struct DaemonOptions {
  std::filesystem::path repo;
  bool json = false;
  bool no_inline_muxer = false;
};

int run_daemon(const DaemonOptions& options);

}  // namespace agora
