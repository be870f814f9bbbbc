#!/usr/bin/env bash
# Simulator scale: N kad nodes in one agora-sim process (docs/simulator.md), for N = 10,000 and
# 100,000 by default. Prints wall time, peak RSS, memory per node, lookup success, and the hop
# distribution next to log2(N) and log16(N). Target: 100,000 nodes in <= 8 GiB.
# Usage: bench/sim_scale.sh [N...]
#   env: AGORA_SIM=path/to/agora-sim, LOOKUPS=1000, SEED=1, REPORT_DIR=dir to keep the JSON reports,
#        JOIN=protocol (every node bootstraps through kad), oracle (converged routing tables at
#        time 0, no bootstrap traffic: far faster; docs/simulator.md) or auto (the default:
#        protocol up to 20,000 nodes, oracle above; 100,000 nodes by protocol take hours)
# Needs build/release/src/runtime/sim/agora-sim (built by scripts/build release).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
SIM="${AGORA_SIM:-$BENCH_ROOT/build/release/src/runtime/sim/agora-sim}"
[[ -x "$SIM" ]] || { echo "agora-sim not found at $SIM (set AGORA_SIM)" >&2; exit 1; }
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10000 100000)
lookups="${LOOKUPS:-1000}"
seed="${SEED:-1}"
join_mode="${JOIN:-auto}"
WORK="$(mktemp -d /tmp/agora-bench-sim.XXXXXX)"
trap bench_cleanup EXIT
machine_line
echo "agora-sim: $SIM ($(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown))"

for n in "${sizes[@]}"; do
  join="$join_mode"
  if [[ "$join" == auto ]]; then join=$([[ "$n" -le 20000 ]] && echo protocol || echo oracle); fi
  # All nodes join within 2 virtual minutes (before the first 10-minute refresh), then lookups
  # run for 2 minutes after a minute of quiet.
  join_s=120
  cat >"$WORK/scale_$n.toml" <<TOML
name = "sim_scale_$n"
seed = $seed
join = "$join"
nodes = $n
bootstrap_nodes = 4
join_window_s = $join_s
warmup_s = $((join_s + 60))
duration_s = $((join_s + 180))
lookups = $lookups

[latency]
min_ms = 10
max_ms = 150
jitter_ms = 5

[kad]
alpha = 10
k = 20
disjoint_paths = 1
TOML
  echo
  echo "== $n nodes: $join join, join window ${join_s} s, $lookups lookups =="
  # Progress (virtual time, events, RSS) goes to stderr every 30 virtual seconds.
  "$SIM" "$WORK/scale_$n.toml" --report "$WORK/scale_$n.json" --progress | sed 's/^/  /' || true
  if [[ -n "${REPORT_DIR:-}" ]]; then mkdir -p "$REPORT_DIR" && cp "$WORK/scale_$n.json" "$REPORT_DIR/scale_${n}_$join.json"; fi
  python3 - "$WORK/scale_$n.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
res, m = r["result"], r["machine"]
l = res["lookups"]
n = res["nodes"]
hist = " ".join(f"{h}:{c}" for h, c in sorted(l["hop_histogram"].items(), key=lambda x: int(x[0])))
print(f"  RESULT nodes={n} join={r['scenario']['join']} wall_s={m['wall_seconds']:.1f} peak_rss_mib={m['peak_rss_bytes']/2**20:.0f}"
      f" bytes_per_node={m['memory_per_node_bytes']:.0f} success={l['success_rate']:.4f}"
      f" hops_median={l['hops']['median']:.0f} hops_p90={l['hops']['p90']:.0f}"
      f" hops_max={l['hops']['max']:.0f} log2_n={math.log2(n):.2f} log16_n={math.log(n, 16):.2f}"
      f" msgs_per_lookup={l['messages']['mean']:.1f} latency_ms_median={l['latency_ms']['median']:.0f}"
      f" events={res['events']}")
print(f"  hop histogram: {hist}")
print(f"  routing table size: median {res['kad']['routing_table_size']['median']:.0f},"
      f" max {res['kad']['routing_table_size']['max']:.0f}")
PY
done
