#!/usr/bin/env bash
# `agora crawl` over a testnet of N daemons (default 50; `agora testnet up --low-water 0`, so
# connections come only from bootstrap and the DHT): from ROUNDS random peers in turn (default
# 3), the time each crawl took, how many of the N - 1 other daemons it found, how many it found
# reachable, its edges and lookups, at --rate RATE (default 10 lookups per second; 0 = 1000).
# Usage: bench/crawl_testnet.sh [N]   env: ROUNDS=3, RATE=10, AGORA=path/to/agora
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
n="${1:-50}"
rounds="${ROUNDS:-3}"
rate="${RATE:-10}"
[[ "$rate" == 0 ]] && rate=1000
WORK="$(mktemp -d /tmp/agora-bench-crawl.XXXXXX)"
net="$WORK/testnet"
cleanup() {
  [[ -f "$net/testnet.json" ]] && "$AGORA" testnet down --dir "$net" >/dev/null 2>&1
  bench_cleanup
}
trap cleanup EXIT
machine_line
echo "agora: $AGORA ($(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown))"
t0=$(date +%s.%N)
"$AGORA" testnet up --dir "$net" --peers "$n" --low-water 0 --wait 600 >"$WORK/up.log"
echo "testnet of $n daemons up in $(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }') s"
echo "| round | from | seconds | found (of $((n - 1))) | reachable | edges | lookups |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq "$rounds"); do
  from=$((RANDOM % n + 1))
  "$AGORA" --repo "$net/peer-$from" crawl --rate "$rate" -o "$WORK/crawl-$r.json" 2>"$WORK/crawl-$r.err"
  python3 - "$WORK/crawl-$r.json" "$r" "$from" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["stats"]
print(f"| {sys.argv[2]} | peer-{sys.argv[3]} | {s['seconds']:.2f} | {s['nodes']} | {s['reachable']} | {s['edges']} | {s['queries']} |")
PY
done
