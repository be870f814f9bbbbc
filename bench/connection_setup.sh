#!/usr/bin/env bash
# Connection setup time between agora nodes over loopback, measured inside the dialing process
# (agora_bench_clients, no CLI/HTTP overhead): dial = TCP connect + multistream /noise + Noise XX
# (+ muxer inlined in the Noise payloads), then the first ping round trip on a new stream. Also the
# server's own agora_handshake_seconds (mean over the inbound handshakes), and the number of round
# trips, measured by running the same dials through bench/delay_proxy.py (DELAY ms each way).
# Usage: bench/connection_setup.sh [CONNECTIONS=200] [REPEAT=3] [DELAY_MS=25]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"
connections="${1:-200}"
repeat="${2:-3}"
delay_ms="${3:-25}"
WORK="$(mktemp -d /tmp/agora-bench-conn.XXXXXX)"
trap bench_cleanup EXIT
machine_line
handshake_sum_count() {
  "$AGORA" --repo "$WORK/$1" metrics |
    awk '$1 == "agora_handshake_seconds_sum" {s=$2} $1 == "agora_handshake_seconds_count" {c=$2} END {print s, c}'
}
# Every client is 127.0.0.1 and keeps its connection: the per-IP and per-network inbound limits
# (hostile-peer admission, docs/limits.md) are raised to the run's size, as in memory_idle.sh.
echo "server: connections_max, high_water and the per-IP/network inbound limits raised to $((connections * 2))"
start_daemon server "s/^connections_max = .*/connections_max = $((connections * 2))/;
  s/^high_water = .*/high_water = $((connections * 2))/;
  s/^inbound_connections_per_\(ip\|group\)_max = .*/inbound_connections_per_\1_max = $((connections * 2))/"
server_addr=$DAEMON_ADDR
for run in $(seq "$repeat"); do
  read -r s0 c0 < <(handshake_sum_count server)
  result=$("$BENCH_CLIENTS" --server "$server_addr" --connections "$connections" --concurrency 1)
  read -r s1 c1 < <(handshake_sum_count server)
  echo "run $run (loopback, sequential): $result"
  awk -v s="$s1" -v s0="$s0" -v c="$c1" -v c0="$c0" \
    'BEGIN {printf "  server agora_handshake_seconds: %d handshakes, mean %.3f ms\n", c-c0, (s-s0)/(c-c0)*1000}'
done

# Round trips: one-way delay D on application data (TCP SYNs are not delayed by the proxy).
port=$(awk -F/ '{print $5}' <<<"$server_addr")
peer=$(awk -F/ '{print $7}' <<<"$server_addr")
/usr/bin/python3 "$(dirname "${BASH_SOURCE[0]}")/delay_proxy.py" 0 127.0.0.1 "$port" "$delay_ms" \
  >"$WORK/proxy.out" &
BENCH_PIDS+=("$!")
for i in $(seq 100); do grep -q '^ready' "$WORK/proxy.out" && break; sleep 0.05; done
proxy_port=$(awk '$1 == "ready" {print $2}' "$WORK/proxy.out")
result=$("$BENCH_CLIENTS" --server "/ip4/127.0.0.1/tcp/$proxy_port/p2p/$peer" --connections 10 --concurrency 1)
echo "through delay proxy (${delay_ms} ms each way, RTT $((2 * delay_ms)) ms): $result"
/usr/bin/python3 - "$result" "$delay_ms" <<'PY'
import json, sys
r, rtt = json.loads(sys.argv[1]), 2 * float(sys.argv[2])
print(f"  round trips: dial (multistream+Noise+muxer) = {r['connect']['p50_ms'] / rtt:.2f} RTT, "
      f"first ping (stream open + ping) = {r['first_ping']['p50_ms'] / rtt:.2f} RTT, "
      f"total = {r['connect_plus_first_ping']['p50_ms'] / rtt:.2f} RTT (p50; TCP's SYN round trip not included)")
PY
stop_daemon server
