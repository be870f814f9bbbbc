// agora's command line. The CLI talks to a running daemon over its HTTP API and links no node
// code; `agora daemon` itself is handed to `run_daemon`, which the program's main() supplies.
#pragma once

#include <functional>

#include "app/daemon_options.h"

namespace agora {

using RunDaemon = std::function<int(const DaemonOptions&)>;

// Parses the arguments and runs one command; returns the process's exit code.
int run_cli(int argc, char** argv, const RunDaemon& run_daemon);

}  // namespace agora
