#!/usr/bin/env bash
# Two `agora daemon` processes on loopback: connect, identify both ways, ping, perf, the CLI's
# plain errors, the repo lock, `agora events` after a flood of garbage connections, and a clean
# shutdown on SIGTERM.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-it.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start() {
  "$agora" --repo "$work/$1" init --listen /ip4/127.0.0.1/tcp/0 --listen /ip6/::1/tcp/0 \
    --api 127.0.0.1:0 >/dev/null
  # No mDNS: daemons of other tests on this host must not find these (discovery_daemons.sh
  # tests mDNS in a network namespace of its own).
  sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"
  if [[ -n "${2:-}" ]]; then sed -i -e "$2" "$work/$1/config.toml"; fi
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}

# A client command without a daemon says so plainly.
"$agora" --repo "$work/none" init --api 127.0.0.1:0 >/dev/null
if out=$("$agora" --repo "$work/none" swarm peers 2>&1); then fail "swarm peers without daemon succeeded"; fi
grep -q "no agora daemon is running" <<<"$out" || fail "unclear error without daemon: $out"
# init refuses to overwrite.
if "$agora" --repo "$work/none" init >/dev/null 2>&1; then fail "second init succeeded"; fi

start a
start b 's/^event_buffer_max = .*/event_buffer_max = 32/'
b_addr=$(grep -m1 '^listening /ip4' "$work/b.log" | cut -d' ' -f2)
b_addr6=$(grep -m1 '^listening /ip6' "$work/b.log" | cut -d' ' -f2)
[[ -n "$b_addr6" ]] || fail "b does not listen on ip6"
a_id=$("$agora" --repo "$work/a" id --json | json 'd["peer"]')
b_id=$("$agora" --repo "$work/b" id --json | json 'd["peer"]')

# A second daemon on the same repo is refused.
if "$agora" --repo "$work/a" daemon >"$work/a2.log" 2>&1; then fail "second daemon on one repo started"; fi
grep -q "in use by another agora daemon" "$work/a2.log" || fail "lock error unclear"

"$agora" --repo "$work/a" swarm connect "$b_addr" --json | json 'd["peer"]' | grep -qx "$b_id" \
  || fail "connect returned the wrong peer"

# Dialing with a wrong /p2p/ id fails (the remote is not who we asked for).
wrong="${b_addr%/p2p/*}/p2p/$a_id"
if "$agora" --repo "$work/a" swarm connect "$wrong" >/dev/null 2>&1; then fail "peer id mismatch accepted"; fi

for _ in $(seq 50); do
  agents=$("$agora" --repo "$work/a" swarm peers --json | json '",".join(p.get("agent","") for p in d)')
  [[ "$agents" == agora/* ]] && break
  sleep 0.1
done
[[ "$agents" == agora/* ]] || fail "a did not identify b: $agents"
"$agora" --repo "$work/a" swarm peers --json | json "[p for p in d if p['peer'] == '$b_id'][0]['protocols']" | grep -q "/ipfs/ping/1.0.0" \
  || fail "identify protocols missing ping"
for _ in $(seq 50); do
  n=$("$agora" --repo "$work/b" swarm peers --json | json 'len([p for p in d if p.get("agent","").startswith("agora/")])')
  [[ "$n" == 1 ]] && break
  sleep 0.1
done
[[ "$n" == 1 ]] || fail "b did not identify a"

# swarm limits: what is in use beside each limit, and the refusals so far.
limits=$("$agora" --repo "$work/a" swarm limits --json)
json 'd["connections"]["open"] >= 1 and d["connections"]["max"] > 0' <<<"$limits" | grep -qx True \
  || fail "swarm limits: no open connection counted: $limits"
json '[p["per_peer_inbound_max"] for p in d["protocols"] if p["protocol"] == "/ipfs/ping/1.0.0"]' \
  <<<"$limits" | grep -qx '\[2\]' || fail "swarm limits: ping's per-peer cap is not 2: $limits"
"$agora" --repo "$work/a" swarm limits | grep -q '^streams .*inbound [0-9]* of 8192' \
  || fail "swarm limits: no streams line"
json 'd["buffered_bytes"]["system_max"] == 1 << 30 and d["buffered_bytes"]["per_peer_max"] == 64 << 20' \
  <<<"$limits" | grep -qx True || fail "swarm limits: buffered bytes limits missing: $limits"
"$agora" --repo "$work/a" swarm limits | grep -q '^buffered .* of 1.1 GB (per peer 67.1 MB)' \
  || fail "swarm limits: no buffered line"

rtts=$("$agora" --repo "$work/a" ping "$b_addr" -n 3 --json | json 'len(d["rtt_ms"])')
[[ "$rtts" == 3 ]] || fail "expected 3 ping replies, got $rtts"
"$agora" --repo "$work/b" ping "/ip4/127.0.0.1/tcp/1/p2p/$a_id" -n 1 --json >/dev/null \
  || fail "b could not ping a over the existing connection"

# The same peer over ip6: the existing connection is reused, and a fresh daemon dials ip6 directly.
start c
"$agora" --repo "$work/c" ping "$b_addr6" -n 1 --json >/dev/null || fail "ping over ip6 failed"
"$agora" --repo "$work/c" swarm peers --json | json "[p for p in d if p['peer'] == '$b_id'][0]['addr']" | grep -q '^/ip6/::1/tcp/' \
  || fail "c's connection to b is not over ip6"

perf=$("$agora" --repo "$work/a" perf "$b_addr" --upload 33554432 --download 16777216 --json)
json 'd["upload_bytes"], d["download_bytes"]' <<<"$perf" | grep -qx "33554432 16777216" \
  || fail "perf byte counts wrong: $perf"

# At least the one to b: the DHT's lookups may dial c, which b told a about. (Captured first:
# grep -q stops reading early, and under pipefail the writer's SIGPIPE would fail the check.)
metrics=$("$agora" --repo "$work/a" metrics)
grep -Eq '^agora_connections_opened_total\{direction="outbound"\} [1-9][0-9]*$' <<<"$metrics" \
  || fail "metrics do not count the outbound connection: $(grep connections_opened <<<"$metrics")"
"$agora" --repo "$work/a" events --json | grep -q '"peer_identified"' || fail "no peer_identified event"

# 300 garbage connections to b (ring of 32 events): its first events stay visible, the refusals
# are summarized with counts that add up to the metric, and the newest come last.
python3 - "$(sed -E 's|.*/tcp/([0-9]+).*|\1|' <<<"$b_addr")" <<'EOF'
import os, socket, sys
for _ in range(300):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    s.sendall(b"\xff\xff" + os.urandom(510))  # a length prefix far over the multistream limit
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    s.close()
EOF
sleep 1.2  # the flood's summary window ends
ev=$("$agora" --repo "$work/b" events)
grep -Eq '^#1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ listen_started' <<<"$ev" || fail "the flood pushed b's first event out: $ev"
grep -Eq '^#[0-9]+ [^ ]+ handshake_failed .* count=[0-9]+' <<<"$ev" || fail "no summary of the flood: $ev"
refused=$("$agora" --repo "$work/b" events --json \
  | python3 -c 'import json, sys; print(sum(e.get("count", 0) for e in map(json.loads, sys.stdin) if e.get("type") == "handshake_failed"))')
failures=$("$agora" --repo "$work/b" metrics | awk '$1 ~ /^agora_handshake_failures_total/ {s += $2} END {print s + 0}')
((failures >= 300)) || fail "b counted $failures failed handshakes, not 300"
((refused == failures)) || fail "b's events count $refused refusals, its metrics $failures"
newest=$("$agora" --repo "$work/b" events -n 1)
[[ $(grep -c '^#' <<<"$newest") == 1 ]] || fail "events -n 1 printed: $newest"
grep -q "$(tail -n1 <<<"$ev" | cut -d' ' -f1) " <<<"$newest" || fail "-n 1 is not the newest: $newest"
grep -Eq '^… [0-9]+ older events not shown \(raise --limit\)$' <<<"$newest" \
  || fail "events -n 1 does not say what it left out: $newest"

"$agora" --repo "$work/a" swarm disconnect "$b_id" >/dev/null || fail "disconnect failed"
"$agora" --repo "$work/a" swarm peers --json | json "any(p['peer'] == '$b_id' for p in d)" \
  | grep -qx False || fail "still connected"

kill -TERM "${pids[0]}"
wait "${pids[0]}" || fail "daemon a did not exit cleanly on SIGTERM"
grep -q '^stopped' "$work/a.log" || fail "daemon a did not report stopping"
[[ ! -e "$work/a/api" ]] || fail "api file left behind"
echo "two daemons: ok"
