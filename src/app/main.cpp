// agora: one program for the CLI (cli/, which links no node code) and the daemon (api/, the node
// behind its local HTTP API). This file is the only place the two meet.
#include "app/api/daemon.h"
#include "app/cli/cli_main.h"

int main(int argc, char** argv) { return agora::run_cli(argc, argv, agora::run_daemon); }
