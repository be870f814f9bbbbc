// What `agora daemon` is asked to do: parsed by the CLI (cli/), carried out by the daemon (api/).
#pragma once

#include <filesystem>

namespace agora {

struct DaemonOptions {
  std::filesystem::path repo;
  bool json = false;
  bool no_inline_muxer = false;
};

}  // namespace agora
