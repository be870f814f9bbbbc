#!/usr/bin/env bash
# Private networks (libp2p pnet) with real daemons on loopback:
#   - `agora init --private` writes a swarm.key (0600) and says how to share it; `--swarm-key FILE`
#     joins that network; a malformed key file is refused naming the file and line;
#   - the start-up lines and `agora id` (text and --json) name the network and the discovery;
#   - two daemons with the same key connect and ping; a daemon with another key and a public one
#     are refused both ways with "the peer is not in our private network", counted in
#     agora_private_network_refusals_total and recorded as handshake_failed/private_network;
#   - the private daemon keeps serving its own network after the refusals;
#   - a repo whose swarm.key is malformed or readable by others does not start, with the reason;
#   - LIBP2P_FORCE_PNET=1 refuses to start a public node.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-pnet.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ag() { local r="$1"; shift; "$agora" --repo "$work/$r" "$@"; }

# init_repo NAME [init options...]: a repo on loopback with mDNS off (daemons of other tests on
# this host must not meet these).
init_repo() {
  local name="$1"; shift
  ag "$name" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 "$@" >"$work/$name.init"
  sed -i -e 's/^mdns = true/mdns = false/' "$work/$name/config.toml"
}
start() {
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &  # not via ag(): $! must be agora
  pids+=($!)
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
addr_of() { grep -m1 '^listening /ip4' "$work/$1.log" | cut -d' ' -f2; }
# The value of a metric line (0 when absent).
metric() { ag "$1" metrics | awk -v m="$2" '$1 == m { print $2; found=1 } END { if (!found) print 0 }'; }

# --- init --private / --swarm-key
init_repo a --private
grep -q '^network: private, key fingerprint [0-9a-f]\{32\}$' "$work/a.init" \
  || fail "init --private did not name the network: $(cat "$work/a.init")"
grep -q 'agora init --swarm-key' "$work/a.init" || fail "init --private did not say how to share"
[[ $(stat -c %a "$work/a/swarm.key") == 600 ]] || fail "swarm.key is not mode 0600"
head -2 "$work/a/swarm.key" | tr '\n' ' ' | grep -qx '/key/swarm/psk/1.0.0/ /base16/ ' \
  || fail "swarm.key is not in kubo's format: $(cat "$work/a/swarm.key")"
fp=$(sed -n 's/^network: private, key fingerprint //p' "$work/a.init")
cp "$work/a/swarm.key" "$work/shared.key"
init_repo b --swarm-key "$work/shared.key"
grep -q "^network: private, key fingerprint $fp\$" "$work/b.init" || fail "b did not join a's network"
ag j init --json --api 127.0.0.1:0 --swarm-key "$work/shared.key" \
  | json 'd["network"]["private"], d["network"]["fingerprint"]' | grep -qx "True $fp" \
  || fail "init --json does not report the network"
init_repo other --private
init_repo pub
grep -q '^network: public' "$work/pub.init" || fail "public init did not say so"
[[ ! -e "$work/pub/swarm.key" ]] || fail "a public repo has a swarm.key"

# --private and --swarm-key together, and malformed key files: refused, naming file and line.
if ag x1 init --private --swarm-key "$work/shared.key" >/dev/null 2>"$work/err"; then
  fail "--private with --swarm-key accepted"
fi
printf '/key/swarm/psk/1.0.0/\n/base16/\n0123\n' >"$work/short.key"
if ag x2 init --swarm-key "$work/short.key" >/dev/null 2>"$work/err"; then fail "short key accepted"; fi
grep -q "short.key:3: expected 64 hex characters" "$work/err" || fail "short key error: $(cat "$work/err")"
printf 'hello\n' >"$work/garbage.key"
if ag x3 init --swarm-key "$work/garbage.key" >/dev/null 2>"$work/err"; then fail "garbage accepted"; fi
grep -q "garbage.key:1: expected '/key/swarm/psk/1.0.0/'" "$work/err" || fail "garbage error: $(cat "$work/err")"
[[ ! -e "$work/x3/identity.key" ]] || fail "a refused init left a repo behind"
if ag x4 init --swarm-key "$work/missing.key" >/dev/null 2>"$work/err"; then fail "missing key accepted"; fi
grep -q "missing.key" "$work/err" || fail "missing key file not named: $(cat "$work/err")"

# --- the network before the daemon runs
ag a id --json | json 'd["network"]["fingerprint"]' | grep -qx "$fp" || fail "id without daemon: network"
ag pub id | grep -q '^network: public$' || fail "id without daemon: public"

# --- start-up lines and `agora id`
start a
start b
start other
start pub
grep -q "^private network $fp " "$work/a.log" || fail "a's start-up does not name its network"
grep -q '^public network' "$work/pub.log" || fail "pub's start-up does not say public"
grep -q '^mdns off (config)$' "$work/a.log" || fail "a's start-up does not report mdns"
grep -q '^bootstrap 0 peers$' "$work/a.log" || fail "a's start-up does not report bootstrap"
grep -q '^dht ' "$work/a.log" || fail "a's start-up does not report the dht"
id=$(ag a id --json)
json 'd["network"]["private"], d["network"]["fingerprint"], d["discovery"]["mdns"]["running"], len(d["discovery"]["bootstrap"]), d["discovery"]["dht"] is not None' \
  <<<"$id" | grep -qx "True $fp False 0 True" || fail "id --json network/discovery: $id"
ag a id | grep -q "^network: private, key fingerprint $fp\$" || fail "id text: no network"
ag a id | grep -q '^  mdns: off' || fail "id text: no mdns line"
ag pub id --json | json 'd["network"]["private"]' | grep -qx False || fail "pub id: not public"

a_addr=$(addr_of a); b_addr=$(addr_of b); o_addr=$(addr_of other); p_addr=$(addr_of pub)
b_id=$(ag b id --json | json 'd["peer"]')

# --- same key: connect and ping
ag a swarm connect "$b_addr" --json | json 'd["peer"]' | grep -qx "$b_id" || fail "a could not connect to b"
[[ $(ag a ping "$b_addr" -n 2 --json | json 'len(d["rtt_ms"])') == 2 ]] || fail "a could not ping b"
[[ $(ag a swarm peers --json | json "[p['private_network'] for p in d if p['peer'] == '$b_id'][0]") == True ]] \
  || fail "swarm peers does not show the connection as private"

# --- another key, and no key: refused both ways with the reason, before multistream
expect_refused() {  # FROM ADDR
  if out=$(ag "$1" swarm connect "$2" 2>&1); then fail "$1 connected to $2: $out"; fi
  grep -q "not in our private network" <<<"$out" || fail "$1 -> $2: unclear refusal: $out"
}
# The public dialer only sees its handshake fail; a (the private listener) names it. (First: the
# event recorder summarizes the refusals that follow within a second, details and all.)
if out=$(ag pub swarm connect "$a_addr" 2>&1); then fail "pub connected to private a: $out"; fi
expect_refused a "$o_addr"      # other key (a dials)
expect_refused other "$a_addr"  # other key (a accepts)
expect_refused a "$p_addr"      # public peer (a dials)
for _ in $(seq 50); do
  inbound=$(metric a 'agora_private_network_refusals_total{direction="inbound"}')
  [[ "$inbound" -ge 2 ]] && break
  sleep 0.1
done
[[ "$inbound" -ge 2 ]] || fail "a counted $inbound inbound refusals (expected 2)"
outbound=$(metric a 'agora_private_network_refusals_total{direction="outbound"}')
[[ "$outbound" -ge 2 ]] || fail "a counted $outbound outbound refusals (expected 2)"
events=$(ag a events --json)
grep -q '"reason":"private_network"' <<<"$events" || fail "no private_network event: $events"
grep -q 'plain multistream-select' <<<"$events" || fail "the public peer is not named as such: $events"
[[ $(ag a swarm peers --json | json "len([p for p in d if p['peer'] != '$b_id'])") == 0 ]] \
  || fail "a holds a connection to a foreign peer"

# --- a keeps serving its own network
ag b swarm disconnect "$(ag a id --json | json 'd["peer"]')" >/dev/null || true
[[ $(ag b ping "$a_addr" -n 1 --json | json 'len(d["rtt_ms"])') == 1 ]] || fail "b could not ping a after the refusals"

# --- a repo with a bad swarm.key does not start; nor one others can read
ag b shutdown >/dev/null 2>&1 || true
for _ in $(seq 100); do grep -q '^stopped' "$work/b.log" && break; sleep 0.1; done
printf '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n' >"$work/b/swarm.key"
if ag b daemon >"$work/b2.out" 2>&1; then fail "daemon started with a malformed swarm.key"; fi
grep -q "swarm.key:3: " "$work/b2.out" || fail "malformed swarm.key error: $(cat "$work/b2.out")"
cp "$work/shared.key" "$work/b/swarm.key"; chmod 644 "$work/b/swarm.key"
if ag b daemon >"$work/b3.out" 2>&1; then fail "daemon started with a world-readable swarm.key"; fi
grep -q "chmod 600" "$work/b3.out" || fail "open swarm.key error: $(cat "$work/b3.out")"

# --- LIBP2P_FORCE_PNET=1: no public node
init_repo forced
if LIBP2P_FORCE_PNET=1 ag forced daemon >"$work/forced.out" 2>&1; then fail "forced pnet ran public"; fi
grep -q "LIBP2P_FORCE_PNET=1" "$work/forced.out" || fail "forced pnet error: $(cat "$work/forced.out")"
echo "pnet daemons: OK"
