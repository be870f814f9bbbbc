#!/usr/bin/env bash
# Memory per idle connection: one server daemon, N in-process client nodes (agora_bench_clients,
# each its own identity, one connection each, one ping, identify done), then the server's VmRSS.
# per connection = (RSS with N connections - RSS before) / N. Target: <= 64 KiB.
# Usage: bench/memory_idle.sh [CONNECTIONS=1000] [REPEAT=3]
# Needs build/release/bench/agora_bench_clients (built by scripts/build release).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
connections="${1:-1000}"
repeat="${2:-3}"
WORK="$(mktemp -d /tmp/agora-bench-mem.XXXXXX)"
trap bench_cleanup EXIT
machine_line
echo "server: connections_max, high_water and the per-IP/network inbound limits raised to $((connections * 2)) (every client is 127.0.0.1); clients dial 32 at a time"
for run in $(seq "$repeat"); do
  start_daemon "server$run" "s/^connections_max = .*/connections_max = $((connections * 2))/;
    s/^high_water = .*/high_water = $((connections * 2))/;
    s/^inbound_connections_per_\(ip\|group\)_max = .*/inbound_connections_per_\1_max = $((connections * 2))/;
    s/^pending_inbound_handshakes_per_\(ip\|group\)_max = .*/pending_inbound_handshakes_per_\1_max = 64/"
  server_pid=$DAEMON_PID
  sleep 1
  before=$(rss_kib "$server_pid")
  "$BENCH_CLIENTS" --server "$DAEMON_ADDR" --connections "$connections" --concurrency 32 --hold \
    >"$WORK/clients$run.out" 2>"$WORK/clients$run.err" &
  clients_pid=$!
  BENCH_PIDS+=("$clients_pid")
  for i in $(seq 1200); do
    grep -q '^holding' "$WORK/clients$run.out" && break
    kill -0 "$clients_pid" 2>/dev/null || break
    sleep 0.1
  done
  held=$(awk '$1 == "holding" {print $2}' "$WORK/clients$run.out")
  [[ -n "$held" ]] || { echo "clients failed:" >&2; cat "$WORK/clients$run.err" >&2; exit 1; }
  sleep 3  # identify exchanges and any buffer trimming timers settle
  open=$("$AGORA" --repo "$WORK/server$run" metrics | awk '$1 == "agora_connections_open" {print $2}')
  after=$(rss_kib "$server_pid")
  kill -TERM "$clients_pid"; wait "$clients_pid" 2>/dev/null || true
  sleep 2
  closed=$(rss_kib "$server_pid")
  stop_daemon "server$run"
  echo "run $run: server RSS before ${before} KiB, with ${open} open connections ${after} KiB" \
    "(+$((after - before)) KiB = $(( (after - before) * 1024 / open )) B/connection)," \
    "after clients closed ${closed} KiB"
done
