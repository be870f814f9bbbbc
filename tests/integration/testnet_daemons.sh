#!/usr/bin/env bash
# `agora testnet` and the demo flow, smaller:
#   - scripts/demo with 4 peers and a 16 MiB file: every copy verified, at least one fetcher
#     found the provider through the DHT, the testnet stopped and removed;
#   - testnet up/status/down: peers running and bootstrapped, a second `up` refused while it
#     runs, `down` stops every daemon (no process left), a later `up` reuses the repos (same
#     peer ids);
#   - a testnet is a private network by default (one swarm.key, 0600, in its directory and every
#     repo; an outside node is refused), `--public` makes one without a key and is refused on a
#     private testnet's directory;
#   - bad input: --peers 0, no testnet, a damaged testnet.json.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d /tmp/agora-testnet.XXXXXX)"
outsider=""
cleanup() {
  for d in net pub; do
    [[ -f "$work/$d/testnet.json" ]] && "$agora" testnet down --dir "$work/$d" >/dev/null 2>&1
  done
  [[ -n "$outsider" ]] && kill -TERM "$outsider" 2>/dev/null && wait "$outsider" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# The demo flow.
AGORA_BIN="$agora" "$root/scripts/demo" --peers 4 --mib 16 >"$work/demo.out" 2>&1 ||
  { cat "$work/demo.out" >&2; fail "scripts/demo failed"; }
[[ $(grep -c ': identical$' "$work/demo.out") == 3 ]] || { cat "$work/demo.out" >&2; fail "not 3 verified copies"; }
grep -q 'providers found through the DHT: [1-9]' "$work/demo.out" ||
  { cat "$work/demo.out" >&2; fail "no fetcher found the provider through the DHT"; }
grep -q 'MB/s delivered in all' "$work/demo.out" || fail "no summary"
grep -q 'stopped; its repos are removed' "$work/demo.out" || fail "demo did not stop the testnet"

# up, status, down.
net="$work/net"
"$agora" testnet up --dir "$net" --peers 3 --json >"$work/up.json" || fail "testnet up failed"
[[ $(json 'd["bootstrapped"]' <"$work/up.json") == True ]] || fail "not bootstrapped: $(cat "$work/up.json")"
ids_before=$(json '" ".join(p["peer"] for p in d["peers"])' <"$work/up.json")
pids=$(json '" ".join(str(p["pid"]) for p in d["peers"])' <"$work/up.json")
status=$("$agora" testnet status --dir "$net" --json)
[[ $(json 'd["running"]' <<<"$status") == 3 ]] || fail "status: $status"
[[ $(json 'all(p["dht"]["routing_table"] >= 2 for p in d["peers"])' <<<"$status") == True ]] ||
  fail "routing tables not filled: $status"
# (Outputs are captured before grep -q: under pipefail a writer cut off by SIGPIPE fails the pipe.)
out=$("$agora" testnet status --dir "$net")
grep -q '^3 of 3 peers running' <<<"$out" || fail "status text: $out"
if "$agora" testnet up --dir "$net" --peers 3 >"$work/again.out" 2>&1; then fail "second up accepted"; fi
grep -q 'already runs' "$work/again.out" || fail "second up: $(cat "$work/again.out")"
# Refused before it says it is starting anything, naming the command that stops the running one.
grep -q 'starting' "$work/again.out" && fail "second up printed 'starting' before refusing: $(cat "$work/again.out")"
grep -qF "agora testnet down --dir $net" "$work/again.out" || fail "second up names no down --dir: $(cat "$work/again.out")"
# Byte counters are whole numbers in the JSON.
[[ $(json 'all(isinstance(p["bitswap"][k], int) for p in d["peers"] for k in ("bytes_sent", "bytes_received"))'   <<<"$("$agora" testnet status --dir "$net" --json)") == True ]] || fail "testnet status --json bytes are not integers"
out=$("$agora" --repo "$net/peer-2" swarm peers --json)
grep -q "$(cut -d' ' -f1 <<<"$ids_before")" <<<"$out" || fail "peer-2 is not connected to peer-1"
# Private by default: one key, in the directory and in every repo; an outsider is refused.
fp=$(json 'd["network"]["fingerprint"]' <"$work/up.json")
[[ $(json 'd["network"]["private"]' <"$work/up.json") == True && "$fp" =~ ^[0-9a-f]{32}$ ]] ||
  fail "testnet is not private: $(cat "$work/up.json")"
[[ $(stat -c %a "$net/swarm.key") == 600 ]] || fail "testnet swarm.key is not 0600"
for i in 1 2 3; do
  [[ $("$agora" --repo "$net/peer-$i" id --json | json 'd["network"]["fingerprint"]') == "$fp" ]] ||
    fail "peer-$i is not in the testnet's network"
done
"$agora" --repo "$work/outsider" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
sed -i -e 's/^mdns = true/mdns = false/' "$work/outsider/config.toml"
: >"$work/outsider.log"
"$agora" --repo "$work/outsider" daemon >"$work/outsider.log" 2>&1 &
outsider=$!
for _ in $(seq 100); do grep -q '^ready' "$work/outsider.log" && break; sleep 0.1; done
peer1=$(json 'd["peers"][0]["addr"]' <"$work/up.json")
if out=$("$agora" --repo "$work/outsider" swarm connect "$peer1" 2>&1); then
  fail "a public node connected to the private testnet"
fi
grep -q 'in a private network (swarm key) we are not in' <<<"$out" || fail "outsider refusal unclear: $out"
kill -TERM "$outsider"; wait "$outsider" || true
out=$("$agora" testnet down --dir "$net") || fail "down failed: $out"
grep -q 'stopped; its repos are kept' <<<"$out" || fail "down: $out"
for p in $pids; do
  if kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
    fail "daemon $p still runs after down"
  fi
done
[[ $("$agora" testnet status --dir "$net" --json | json 'd["running"]') == 0 ]] || fail "status after down"
if "$agora" testnet up --dir "$net" --peers 3 --public >/dev/null 2>"$work/err"; then
  fail "--public accepted on a private testnet"
fi
grep -q 'is private' "$work/err" || fail "--public on a private testnet: $(cat "$work/err")"
"$agora" testnet up --dir "$net" --peers 3 --json >"$work/up2.json" || fail "second testnet up failed"
[[ $(json '" ".join(p["peer"] for p in d["peers"])' <"$work/up2.json") == "$ids_before" ]] ||
  fail "repos were not reused"
"$agora" testnet down --dir "$net" --rm >/dev/null || fail "down --rm"
[[ ! -e "$net" ]] || fail "--rm left $net"

# A public testnet: no key anywhere.
"$agora" testnet up --dir "$work/pub" --peers 1 --wait 0 --public --json >"$work/pub.json" || fail "public up failed"
[[ $(json 'd["network"]["private"]' <"$work/pub.json") == False ]] || fail "public testnet: $(cat "$work/pub.json")"
[[ ! -e "$work/pub/swarm.key" && ! -e "$work/pub/peer-1/swarm.key" ]] || fail "public testnet has a key"
"$agora" testnet down --dir "$work/pub" --rm >/dev/null || fail "public down --rm"

# Bad input.
if "$agora" testnet up --dir "$net" --peers 0 2>"$work/err"; then fail "--peers 0 accepted"; fi
if "$agora" testnet status --dir "$work/none" 2>"$work/err"; then fail "status without a testnet"; fi
grep -q 'no testnet in' "$work/err" || fail "status without a testnet: $(cat "$work/err")"
mkdir -p "$work/bad" && echo '{"peers": [{"name": 7}]}' >"$work/bad/testnet.json"
if "$agora" testnet down --dir "$work/bad" 2>"$work/err"; then fail "damaged state accepted"; fi
grep -q 'not a testnet state file' "$work/err" || fail "damaged state: $(cat "$work/err")"
echo "testnet: all checks passed"
