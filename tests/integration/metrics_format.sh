#!/usr/bin/env bash
# The Prometheus output after real traffic between two daemons (connect, add, get over xfer, a
# bitswap fetch, ping, perf, DHT queries, refused API calls): it passes `promtool check metrics`
# (Debian's prometheus package, unpacked by scripts/setup: the format and its lint rules), and its
# cardinality is bounded: no label value is a peer id, a CID or an address, and the series stay
# few whatever the traffic.
set -euo pipefail
agora="$(readlink -f "${AGORA_BIN:?set AGORA_BIN}")"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
promtool="$(command -v promtool || echo "$root/build/tools/promtool")"
[[ -x "$promtool" ]] || { echo "FAIL: no promtool (scripts/setup unpacks it into build/tools)" >&2; exit 1; }
work="$(mktemp -d /tmp/agora-metrics.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -30 "$f" >&2; done; exit 1; }
ag() { local n=$1; shift; "$agora" --repo "$work/$n" "$@"; }
start() {
  ag "$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
start a
start b
a_addr=$(awk '$1 == "listening" {print $2; exit}' "$work/a.log")
ag b swarm connect "$a_addr" >/dev/null
head -c 3000000 /dev/urandom >"$work/file.bin"
cid=$(ag a add -Q "$work/file.bin")
ag b get "$cid" -o "$work/got.bin" >/dev/null || fail "get failed"
mkdir "$work/dir" && printf 'x' >"$work/dir/one" && printf 'y' >"$work/dir/two"
dir=$(ag a add -r -Q "$work/dir")
ag b get "$dir" -o "$work/got-dir" >/dev/null || fail "get of a directory (bitswap) failed"
ag b ping "$a_addr" >/dev/null || fail "ping failed"
ag b perf "$a_addr" --upload 100000 --download 100000 >/dev/null || fail "perf failed"
ag b dht findprovs "$cid" >/dev/null 2>&1 || true
ag b dht query "$(awk '$1 == "listening" {print $2; exit}' "$work/b.log" | sed 's|.*/p2p/||')" >/dev/null 2>&1 || true
token_file="$work/a/api.token"
api=$(awk '$1 == "API" && $2 ~ /^http/ {print $2; exit}' "$work/a.log")
curl -s -o /dev/null "$api/api/v0/id" || true                        # no token: refused
curl -s -o /dev/null -H "Authorization: Bearer wrong" "$api/api/v0/id" || true
[[ -s "$token_file" ]] || fail "no token file"

for n in a b; do
  ag "$n" metrics >"$work/$n.prom" || fail "metrics of $n"
  "$promtool" check metrics <"$work/$n.prom" >"$work/$n.promtool" 2>&1 ||
    fail "promtool rejects $n's metrics: $(cat "$work/$n.promtool")"
  python3 - "$work/$n.prom" <<'PY' || fail "$n's metrics: unbounded labels"
import re, sys
series, families = 0, set()
label_value = re.compile(r'="((?:[^"\\]|\\.)*)"')
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    series += 1
    families.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    for v in label_value.findall(line):
        assert not re.match(r"^(12D3Koo|16Uiu|Qm[1-9A-HJ-NP-Za-km-z]{44}|baf[a-z2-7]{20,})", v), line
        assert not v.startswith("/ip4") and not v.startswith("/ip6") and "/p2p/" not in v, line
        assert not re.match(r"^\d+\.\d+\.\d+\.\d+$", v), line
assert len(families) >= 20, families
assert series < 2000, series
print(f"{len(families)} families, {series} series")
PY
done
grep -q '^agora_xfer_leaf_bytes_sent_total [1-9]' "$work/a.prom" || fail "the xfer counter did not move"
# Live byte totals: the connection between a and b is still open, and b read the file through it.
received=$(awk '$1 == "agora_transport_bytes_received_total" {print $2}' "$work/b.prom")
[[ -n "$received" ]] && ((received >= 3000000)) || fail "b's live bytes received: '$received'"
sent=$(awk '$1 == "agora_transport_bytes_sent_total" {print $2}' "$work/a.prom")
[[ -n "$sent" ]] && ((sent >= 3000000)) || fail "a's live bytes sent: '$sent'"
grep -q '^agora_connection_bytes_received_total 0$' "$work/b.prom" ||
  fail "b's connection to a closed, so this test no longer shows that the live totals differ"

# The Grafana dashboard queries only metrics that exist: seen in the output above, or registered
# in the code (labelled counters appear once first counted).
python3 - "$root/docs/grafana/agora-dashboard.json" "$root/src" "$work/a.prom" "$work/b.prom" <<'PY' ||
import json, os, re, sys
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
assert len(exprs) >= 20, len(exprs)
seen = set()
for f in sys.argv[3:]:
    seen |= {m.group(0) for m in re.finditer(r"^agora_[a-z0-9_]+", open(f).read(), re.M)}
code = ""
for d, _, files in os.walk(sys.argv[2]):
    for name in files:
        if name.endswith(".cpp") or name.endswith(".h"):
            code += open(os.path.join(d, name)).read()
for e in exprs:
    for name in re.findall(r"agora_[a-z0-9_]+", e):
        base = re.sub(r"_(bucket|sum|count)$", "", name) if name.endswith(("_bucket",)) else name
        assert base in seen or f'"{base}"' in code, f"{name} in {e!r} is no agora metric"
print(f"dashboard: {len(exprs)} queries, every metric exists")
PY
  fail "the dashboard queries a metric agora does not have"
# The scrape configuration in docs/grafana is valid Prometheus configuration.
sed -e "s|/home/me/.agora/api.token|$token_file|" -e "s|127.0.0.1:5001|${api#http://}|" \
  "$root/docs/grafana/prometheus.yml" >"$work/prometheus.yml"
"$promtool" check config "$work/prometheus.yml" >"$work/config.check" 2>&1 ||
  fail "promtool rejects docs/grafana/prometheus.yml: $(cat "$work/config.check")"
echo "metrics format: ok"
