# Shared helpers for the bench/*.sh scripts (sourced). Starts agora daemons in temporary repos.
# Callers set AGORA (agora binary) and WORK (a temporary directory) and call bench_cleanup on exit.

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AGORA="${AGORA:-$BENCH_ROOT/build/release/src/app/agora}"
BENCH_CLIENTS="${BENCH_CLIENTS:-$BENCH_ROOT/build/release/bench/agora_bench_clients}"
BENCH_PIDS=()

# start_daemon NAME [config-sed-expression]: init a repo under $WORK/NAME, optionally edit its
# config.toml, start the daemon; sets DAEMON_PID and DAEMON_ADDR (first listen multiaddr).
start_daemon() {
  local name="$1" edit="${2:-}" repo="$WORK/$1"
  "$AGORA" --repo "$repo" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  if [[ -n "$edit" ]]; then sed -i -e "$edit" "$repo/config.toml"; fi
  "$AGORA" --repo "$repo" daemon >"$WORK/$name.log" 2>&1 &
  DAEMON_PID=$!
  BENCH_PIDS+=("$DAEMON_PID")
  local i
  for i in $(seq 200); do
    grep -qx ready "$WORK/$name.log" && break
    sleep 0.05
  done
  DAEMON_ADDR="$(awk '$1 == "listening" {print $2; exit}' "$WORK/$name.log")"
  [[ -n "$DAEMON_ADDR" ]] || { echo "daemon $name did not start" >&2; cat "$WORK/$name.log" >&2; return 1; }
}

stop_daemon() {  # stop_daemon NAME
  "$AGORA" --repo "$WORK/$1" shutdown >/dev/null 2>&1 || true
}

rss_kib() {  # rss_kib PID -> VmRSS in KiB
  awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"
}

bench_cleanup() {
  local p
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}

machine_line() {
  echo "machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2; exit}'), $(nproc) vCPU," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)," \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_stop_all: SIGTERM to every process in BENCH_PIDS, SIGKILL half a second later to those
# left, then reaps them. For scripts whose cleanup keeps or removes WORK itself.
bench_stop_all() {
  local p
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${BENCH_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

calc() { awk "BEGIN { printf \"%.3f\", $* }"; }  # calc EXPR -> EXPR to 3 decimals
