#!/usr/bin/env bash
# /perf/1.0.0 single-stream throughput over loopback: raw TCP baseline, agora<->agora (upload and
# download), agora<->js-libp2p (agora as client and as server, both directions), with CPU s/GiB.
# Usage: bench/perf_throughput.sh [--bytes N] [--repeat R] [--agora PATH] [--no-js] [--json]
#        [--swarm-key FILE]   (agora <-> agora in a private network; with --no-js)
# Needs build/release/src/app/agora (or --agora) and, for js, tests/interop/setup.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [[ " $* " != *" --no-js "* ]]; then "$here/../tests/interop/setup"; fi
# /usr/bin/python3: the Debian interpreter (the default python3 may be a pyenv shim).
exec /usr/bin/python3 "$here/perf_throughput.py" "$@"
