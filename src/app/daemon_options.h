// What `agora daemon` is asked to do: parsed by the CLI (cli/), carried out by the daemon (api/).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace agora {

struct DaemonOptions {
  std::filesystem::path repo;
  bool json = false;
  bool no_inline_muxer = false;
  std::string log_level = "info";  // debug, info, warn or error
  std::filesystem::path log_file;  // empty: the log goes to stderr
  // Bandwidth, bytes per second, over config.toml's [limits] (0: no limit).
  std::optional<uint64_t> upload_rate;
  std::optional<uint64_t> download_rate;
};

}  // namespace agora
