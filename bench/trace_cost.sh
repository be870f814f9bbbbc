#!/usr/bin/env bash
# What tracing costs a transfer (docs/tracing.md): one seed and a fresh downloader per round,
# 1 GiB (--mib) over loopback, `agora get` alternately without and with `--trace` (the seed
# serves /agora/diag/1.0.0, so both sides record spans; the traced get's streams go over
# /agora/xfer/1.1.0 with the context in OPEN). Prints each round and, per mode, the median MB/s
# and its range, then traced/untraced as the ratio of medians. Target: a cost of 3% or less.
# Usage: bench/trace_cost.sh [--rounds N] [--mib M] [--agora PATH]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds=5
mib=1024
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --mib) mib="$2"; shift 2 ;;
    --agora) AGORA="$2"; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--mib M] [--agora PATH]" >&2; exit 2 ;;
  esac
done
WORK="$(mktemp -d /tmp/agora-trace-cost.XXXXXX)"
source "$here/bench_lib.sh"
trap bench_cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
no_mdns='s/^mdns = true/mdns = false/; s/^serve_diag = false/serve_diag = true/'

BYTES=$((mib << 20))
head -c "$BYTES" /dev/urandom >"$WORK/file"
start_daemon seed "$no_mdns" || fail "seed"
SEED_ADDR=$DAEMON_ADDR
CID=$("$AGORA" --repo "$WORK/seed" add -Q "$WORK/file")
mkdir -p "$WORK/out"
machine_line
echo "1 seed, 1 fresh downloader per round, $mib MiB over loopback, $rounds rounds per mode"

run() {  # run ROUND MODE (plain|traced) -> seconds
  local name="dl$1$2" out="$WORK/out/got" flag=()
  [[ "$2" == traced ]] && flag=(--trace)
  start_daemon "$name" "$no_mdns" || fail "downloader"
  local pid=$DAEMON_PID t0 t1
  t0=$(date +%s.%N)
  "$AGORA" --repo "$WORK/$name" "${flag[@]}" get "$CID" -o "$out" --peer "$SEED_ADDR" \
    >/dev/null 2>"$WORK/get.err" || fail "get: $(cat "$WORK/get.err")"
  t1=$(date +%s.%N)
  if [[ "$2" == traced ]]; then
    id=$(sed -n 's/^trace \([0-9a-f]*\)$/\1/p' "$WORK/get.err")
    "$AGORA" --repo "$WORK/$name" --json trace show "$id" >"$WORK/trace.json" || fail "trace show"
    python3 -c "import json,sys; t=json.load(open(sys.argv[1])); assert len({s['node'] for s in t['spans']}) == 2" \
      "$WORK/trace.json" || fail "the trace lacks the seed's spans"
  fi
  stop_daemon "$name"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -rf "${WORK:?}/$name" "$out"
  calc "$t1 - $t0"
}

declare -A rates
for r in $(seq "$rounds"); do
  for mode in plain traced; do
    s=$(run "$r" "$mode")
    rate=$(calc "$BYTES / $s / 1000000")
    rates[$mode]+="$rate "
    echo "round $r $mode: $s s, $rate MB/s"
  done
done
python3 - "${rates[plain]}" "${rates[traced]}" <<'PY'
import statistics, sys
plain = [float(x) for x in sys.argv[1].split()]
traced = [float(x) for x in sys.argv[2].split()]
for name, xs in (("untraced", plain), ("traced", traced)):
    print(f"{name}: median {statistics.median(xs):.1f} MB/s, range {min(xs):.1f}-{max(xs):.1f}")
ratio = statistics.median(traced) / statistics.median(plain)
print(f"traced/untraced (medians): {ratio:.3f}, cost {100 * (1 - ratio):+.1f}%")
PY
