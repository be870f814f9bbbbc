#!/usr/bin/env bash
# Determinism across processes: the same seed twice gives the same trace hash, another seed
# gives another. Usage: determinism.sh <agora-sim> <scenario.toml>
set -euo pipefail
sim="$1"
scenario="$2"
trace_hash() {  # trace_hash SEED -> the hash from agora-sim's last summary line
  "$sim" "$scenario" --seed "$1" | awk '$1 == "trace" {print $2}'
}
a="$(trace_hash 1)"
b="$(trace_hash 1)"
c="$(trace_hash 2)"
echo "seed 1: $a"
echo "seed 1: $b"
echo "seed 2: $c"
[[ ${#a} -eq 64 ]] || { echo "FAIL: no trace hash" >&2; exit 1; }
[[ "$a" == "$b" ]] || { echo "FAIL: same seed, different trace" >&2; exit 1; }
[[ "$a" != "$c" ]] || { echo "FAIL: different seeds, same trace" >&2; exit 1; }
echo "ok"
