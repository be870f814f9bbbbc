// CLI commands that are not the daemon. Each returns the process exit code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace agora {

struct CommonOptions {
  std::filesystem::path repo;
  bool json = false;
};

int cmd_init(const CommonOptions& o, const std::vector<std::string>& listen,
             const std::string& api);
int cmd_id(const CommonOptions& o);
int cmd_ping(const CommonOptions& o, const std::string& addr, int count);
int cmd_perf(const CommonOptions& o, const std::string& addr, uint64_t upload, uint64_t download);
int cmd_swarm_peers(const CommonOptions& o);
int cmd_swarm_connect(const CommonOptions& o, const std::string& addr);
int cmd_swarm_disconnect(const CommonOptions& o, const std::string& peer);
int cmd_events(const CommonOptions& o, uint64_t since, bool follow);
int cmd_metrics(const CommonOptions& o);
int cmd_shutdown(const CommonOptions& o);

}  // namespace agora
