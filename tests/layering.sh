#!/usr/bin/env bash
# The layering DESIGN.md states, checked on the includes: the sans-I/O layers (src/proto, src/host)
# and the behaviours built on them (src/behaviour) include no Asio, runtime, node, app or store
# header. Prints each offending line; fails on any.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if bad=$(grep -rEn '^#include [<"](asio|runtime/|node/|app/|store/)' src/proto src/host src/behaviour); then
  echo "sans-I/O layers include I/O layers:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "layering: src/proto, src/host and src/behaviour include no asio, runtime, node, app or store header"
