// `agora daemon`: open the node, serve its local HTTP API, and run until SIGINT/SIGTERM or an API
// shutdown request.
#pragma once

#include "app/daemon_options.h"

namespace agora {

int run_daemon(const DaemonOptions& options);

}  // namespace agora
