#!/usr/bin/env bash
# The layering DESIGN.md states, checked on the includes:
# - the sans-I/O layers (src/proto, src/host) and the behaviours built on them (src/behaviour)
#   include no Asio, runtime, node, app or store header;
# - src/app includes, of the project, only the public API (include/agora/) and app's own headers;
# - src/app/cli, which links no node code, includes none of src/app/api either.
# Tests beside the app's code (*_test.cpp) may build fixtures from internals and are not checked.
# Prints each offending line; fails on any.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
failed=0
if bad=$(grep -rEn '^#include [<"](asio|runtime/|node/|app/|store/)' src/proto src/host src/behaviour); then
  echo "sans-I/O layers include I/O layers:" >&2
  echo "$bad" >&2
  failed=1
fi
# A project header is one that exists under src/ or include/; system headers (<...>) are not.
project_header() { [[ -e "src/$1" || -e "include/$1" ]]; }
app_sources() { find "$1" \( -name '*.cpp' -o -name '*.h' \) ! -name '*_test.cpp' | sort; }
while IFS= read -r file; do
  while IFS=: read -r line header; do
    [[ "$header" == agora/* || "$header" == app/* ]] && continue
    project_header "$header" || continue
    echo "$file:$line: includes $header (src/app may include only agora/ and app/ headers)" >&2
    failed=1
  done < <(grep -nE '^#include [<"][^">]+[">]' "$file" | sed -E 's/^([0-9]+):#include [<"]([^">]+)[">].*/\1:\2/')
done < <(app_sources src/app)
if bad=$(app_sources src/app/cli | xargs grep -En '^#include [<"](app/api/|node/|runtime/|public/)'); then
  echo "src/app/cli includes API or node code:" >&2
  echo "$bad" >&2
  failed=1
fi
((failed == 0)) || exit 1
echo "layering: src/proto, src/host and src/behaviour include no asio, runtime, node, app or store" \
  "header; src/app includes only agora/ and app/ headers; src/app/cli no api or node header"
