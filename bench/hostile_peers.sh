#!/usr/bin/env bash
# The victim's memory and an honest peer's pings during each hostile-peer attack (the attacks of
# tests/integration/hostile_peers_test.cpp, run by build/release/bench/agora_bench_attack against a
# daemon). For each attack: a fresh victim daemon and a fresh honest daemon (mDNS off); the attack
# runs for SECONDS; meanwhile the honest daemon pings the victim every 0.2 s (for the lockout
# attacks it first drops its connection, so each ping needs a new one) and the victim's VmRSS is
# sampled every 0.1 s. Prints, per attack: RSS before / max during / after, pings answered, and
# the honest ping round trip p50 / max.
# Usage: bench/hostile_peers.sh [--agora PATH] [--seconds S] [--count N] [ATTACK...]
#   --agora PATH   the daemon under attack (e.g. an older build, for before/after figures)
#   --count N      connections the silent and identities attacks hold (default 64)
#   ATTACK         perf-noread ping-flood silent identities (default: all)
set -euo pipefail
seconds=10
count=64
attacks=()
while (($#)); do
  case "$1" in
    --agora) AGORA="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    *) attacks+=("$1"); shift ;;
  esac
done
((${#attacks[@]})) || attacks=(perf-noread ping-flood silent identities)
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
ATTACK="${ATTACK:-$BENCH_ROOT/build/release/bench/agora_bench_attack}"
HONEST="${HONEST:-$BENCH_ROOT/build/release/src/app/agora}"
WORK="$(mktemp -d /tmp/agora-bench-hostile.XXXXXX)"
trap bench_cleanup EXIT
machine_line
echo "victim: $AGORA; honest peer and CLI: $HONEST; $seconds s per attack"
printf '%-12s %10s %10s %10s %9s %10s %10s  %s\n' attack "rss0 KiB" "max KiB" "after KiB" \
  answered "p50 ms" "max ms" attacker

for attack in "${attacks[@]}"; do
  start_daemon "victim-$attack" "s/^mdns = .*/mdns = false/"
  victim_pid=$DAEMON_PID victim_addr=$DAEMON_ADDR
  AGORA="$HONEST" start_daemon "honest-$attack" "s/^mdns = .*/mdns = false/"
  victim_peer="${victim_addr##*/p2p/}"
  before=$(rss_kib "$victim_pid")
  ( max=0; while kill -0 "$victim_pid" 2>/dev/null; do
      r=$(rss_kib "$victim_pid" 2>/dev/null || echo 0); ((r > max)) && max=$r && echo "$max" >"$WORK/max-$attack"
      sleep 0.1; done ) &
  BENCH_PIDS+=($!)
  "$ATTACK" --target "$victim_addr" --attack "$attack" --seconds "$seconds" --count "$count" \
    >"$WORK/attack-$attack.json" 2>&1 &
  attack_pid=$!
  sleep 1
  : >"$WORK/rtt-$attack"
  asked=0
  while kill -0 "$attack_pid" 2>/dev/null; do
    if [[ "$attack" == silent || "$attack" == identities ]]; then
      "$HONEST" --repo "$WORK/honest-$attack" swarm disconnect "$victim_peer" >/dev/null 2>&1 || true
    fi
    asked=$((asked + 1))
    "$HONEST" --repo "$WORK/honest-$attack" --json ping "$victim_addr" -n 1 2>/dev/null |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["rtt_ms"][0])' \
      >>"$WORK/rtt-$attack" 2>/dev/null || true
    sleep 0.2
  done
  wait "$attack_pid" || true
  sleep 1
  after=$(rss_kib "$victim_pid")
  stop_daemon "victim-$attack"
  stop_daemon "honest-$attack"
  answered=$(wc -l <"$WORK/rtt-$attack")
  stats=$(sort -g "$WORK/rtt-$attack" | awk '{v[NR]=$1} END {
    if (NR == 0) { print "- -"; exit } printf "%.2f %.2f", v[int((NR+1)/2)], v[NR] }')
  printf '%-12s %10s %10s %10s %9s %10s %10s  %s\n' "$attack" "$before" \
    "$(cat "$WORK/max-$attack" 2>/dev/null || echo "$before")" "$after" "$answered/$asked" \
    ${stats} "$(tr -d '\n' <"$WORK/attack-$attack.json")"
done
