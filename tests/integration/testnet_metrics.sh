#!/usr/bin/env bash
# `agora testnet up --metrics`: Prometheus (unpacked by scripts/setup into build/tools) scrapes
# every daemon of a 3-daemon testnet with its API token: every target is up and agora's metrics
# are in its database; a second `up` while it runs is refused; `testnet down` stops it too.
set -euo pipefail
agora="$(readlink -f "${AGORA_BIN:?set AGORA_BIN}")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export AGORA_PROMETHEUS="${AGORA_PROMETHEUS:-$root/build/tools/prometheus}"
[[ -x "$AGORA_PROMETHEUS" ]] || { echo "FAIL: no prometheus at $AGORA_PROMETHEUS (scripts/setup)" >&2; exit 1; }
work="$(mktemp -d /tmp/agora-testnet-metrics.XXXXXX)"
net="$work/net"
cleanup() {
  "$agora" testnet down --dir "$net" --timeout 5 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; tail -20 "$net/prometheus/prometheus.log" >&2 2>/dev/null || true; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$agora" --json testnet up --dir "$net" --peers 3 --metrics --metrics-port "$port" >"$work/up.json" ||
  fail "testnet up --metrics failed: $(cat "$work/up.json")"
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prometheus"])' "$work/up.json")
[[ "$url" == "http://127.0.0.1:$port" ]] || fail "prometheus url: $url"
"$root/build/tools/promtool" check config "$net/prometheus/prometheus.yml" >/dev/null ||
  fail "the generated configuration is not valid"

query() { curl -sf --get --data-urlencode "query=$1" "$url/api/v1/query"; }
all_up() {
  query 'up' | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
sys.exit(0 if len(r) == 3 and all(x["value"][1] == "1" for x in r) else 1)'
}
for _ in $(seq 120); do all_up && break; sleep 0.5; done
all_up || fail "not every daemon is scraped and up: $(query up)"
query 'agora_connections_open' | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
assert len(r) == 3, r
assert all(x["metric"]["peer"].startswith("12D3Koo") for x in r), r' ||
  fail "agora's metrics are not in Prometheus"

if "$agora" testnet up --dir "$net" --peers 3 --metrics --metrics-port "$port" 2>"$work/err"; then
  fail "a second up ran"
fi
"$agora" --json testnet down --dir "$net" >"$work/down.json" || fail "down failed"
grep -q '"prometheus_stopped":true' "$work/down.json" || fail "down did not stop Prometheus: $(cat "$work/down.json")"
if curl -sf "$url/-/ready" >/dev/null 2>&1; then fail "Prometheus still answers after down"; fi
echo "testnet metrics: ok"
