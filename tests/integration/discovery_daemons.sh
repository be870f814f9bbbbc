#!/usr/bin/env bash
# Discovery and connectivity between real daemons, inside a private network namespace this test
# creates (only `lo`, multicast on, 224.0.0.0/4 routed to it), so mDNS never reaches a real LAN
# and the host's port 5353 is untouched:
#   1. two daemons find and connect to each other by mDNS alone;
#   2. a restarted daemon keeps its peer store and reconnects from it (mDNS off after restart);
#   3. `agora bootstrap list|add|rm` edit config.toml, a running daemon dials what is added, and a
#      fresh daemon dials its bootstrap list at start;
#   4. the connection manager trims a daemon with high_water = 2 down to low_water = 1, sparing
#      the protected peer;
#   5. two daemons of one private network find each other by mDNS under their own service name
#      (`_p2p-<fingerprint>._udp.local`), and neither hears of the public b nor b of them.
# Exits 77 (skipped) when no network namespace can be created.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"

if [[ -z "${AGORA_IN_NETNS:-}" ]]; then
  export AGORA_IN_NETNS=1
  for flags in -rn -n; do
    if unshare "$flags" true 2>/dev/null; then exec unshare "$flags" "$0" "$@"; fi
  done
  echo "SKIP: cannot create a network namespace (unshare -rn / -n)" >&2
  exit 77
fi
ip link set lo up multicast on
ip route add 224.0.0.0/4 dev lo

work="$(mktemp -d /tmp/agora-disc.XXXXXX)"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; cat "$f" >&2; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# `has PATTERN TEXT`: grep on captured output. (`cmd | grep -q` can fail under pipefail: grep
# exits at the first match and cmd dies of SIGPIPE.)
has() { grep -q -e "$1" <<<"$2"; }
ag() { local name="$1"; shift; "$agora" --repo "$work/$name" "$@"; }

init() {  # init NAME [sed expression for config.toml]
  ag "$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  if [[ -n "${2:-}" ]]; then sed -i -e "$2" "$work/$1/config.toml"; fi
}
start() {
  # Truncate here, not only in the background redirect: the first grep below could otherwise run
  # before the child opens the log and find the last run's "ready".
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &  # not via ag(): $! must be agora
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
stop() {
  ag "$1" shutdown >/dev/null
  wait "${pid[$1]}" || fail "$1 did not exit cleanly"
  unset "pid[$1]"
}
addr_of() { grep -m1 '^listening /ip4' "$work/$1.log" | cut -d' ' -f2; }
id_of() { ag "$1" id --json | json 'd["peer"]'; }
connected() {  # connected A B: does A have a connection to B?
  [[ $(ag "$1" swarm peers --json | json "any(p['peer'] == '$2' for p in d)") == True ]]
}
not_connected() { ! connected "$@"; }
metric() { ag "$1" metrics | awk -v name="$2" '$1 == name {print $2}'; }  # metric NODE SERIES
metric_at_least() { [[ "$(metric "$1" "$2")" -ge "$3" ]] 2>/dev/null; }
peer_count() { ag "$1" swarm peers --json | json 'len(set(p["peer"] for p in d))'; }
peer_count_is() { [[ $(peer_count "$1") == "$2" ]]; }
stored_with_details() {  # stored_with_details A B: A's peer store has B's protocols and latency
  [[ $(ag "$1" swarm known --json |
    json "any(p['peer'] == '$2' and p['protocols'] and 'latency_ms' in p for p in d['peers'])") \
    == True ]]
}
wait_until() {  # wait_until SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.2; done
}
mdns_off='s/^mdns = true/mdns = false/'

# 1. mDNS alone: no addresses exchanged by hand.
init a
init b
start a
start b
grep -q '^mdns on 127.0.0.1 (_p2p._udp.local)$' "$work/a.log" || fail "a's mDNS is not on lo"
a_id=$(id_of a)
b_id=$(id_of b)
wait_until 30 connected a "$b_id" || fail "a did not find b by mDNS"
wait_until 30 connected b "$a_id" || fail "b did not find a by mDNS"
# Whichever daemon dialled, both saw the other's announcement.
wait_until 30 metric_at_least a 'agora_peers_discovered_total{source="mdns"}' 1 \
  || fail "mDNS discoveries not counted"
has '"reason":"mdns".*"type":"peer_discovered"' "$(ag a events --json)" \
  || fail "no peer_discovered event with reason mdns"
has mdns "$(ag a swarm peers --json | json "[p for p in d if p['peer'] == '$b_id'][0]['sources']")" \
  || fail "swarm peers does not say b was found by mDNS"
peers_line=$(ag a swarm peers)
has 'latency [0-9.]* ms' "$peers_line" && has 'open streams' "$peers_line" \
  && has 'protocols: /' "$peers_line" || fail "swarm peers lacks latency/streams: $peers_line"
wait_until 10 stored_with_details a "$b_id" || fail "the peer store lacks b's protocols or latency"

# 2. Restart: the peer store survives, and a reconnects to b from it (mDNS off now; b will not
# redial a for a while after the connection closed).
stop a
sed -i -e "$mdns_off" "$work/a/config.toml"
start a
grep -q '^peerstore 1 peers loaded$' "$work/a.log" || fail "a did not load its peer store"
grep -q '^mdns off (config)$' "$work/a.log" || fail "mdns = false not honoured"
wait_until 30 connected a "$b_id" || fail "a did not reconnect to b from its peer store"
has mdns "$(ag a swarm known --json | json "[p for p in d['peers'] if p['peer'] == '$b_id'][0]['sources']")" \
  || fail "the stored peer lost how it was found"

# 3. Bootstrap list: edited in config.toml, taken by a running daemon, dialled at start.
init c "$mdns_off"
start c
b_addr=$(addr_of b)
has "^added $b_addr" "$(ag c bootstrap add "$b_addr")" || fail "bootstrap add"
[[ "$(ag c bootstrap list)" == "$b_addr" ]] || fail "bootstrap list does not show the address"
grep -q "^bootstrap = \[\"$b_addr\"\]" "$work/c/config.toml" || fail "config.toml not updated"
wait_until 30 connected c "$b_id" || fail "the running daemon did not dial the added peer"
has "^already listed" "$(ag c bootstrap add "$b_addr")" || fail "a second add is not a no-op"
if ag c bootstrap add /ip4/127.0.0.1/tcp/1 2>/dev/null; then fail "bootstrap without /p2p/ accepted"; fi
has "^removed $b_addr" "$(ag c bootstrap rm "$b_addr")" || fail "bootstrap rm"
[[ $(ag c bootstrap list --json | json 'len(d["bootstrap"])') == 0 ]] || fail "rm left it listed"
grep -q '^# Peers dialled at startup' "$work/c/config.toml" || fail "config comments were lost"
init d "$mdns_off"
ag d bootstrap add "$b_addr" >/dev/null
start d
grep -q '^peerstore 0 peers loaded$' "$work/d.log" || fail "d did not start with an empty store"
wait_until 30 connected d "$b_id" || fail "d did not dial its bootstrap peer at start"

# 4. Trimming: e keeps at most 2 connections (low watermark 1) and never trims the protected c.
# All four peers are held by a second protection tag until all four are connected. Releasing them
# takes three CLI calls, and a trim round may come between two of them: if it sees all three
# released it trims them (down to 1); if it sees one, it trims it and, after the 10 s silence
# period, the other two; if it sees two, it trims those and stops at 2, no longer over the high
# watermark. Either way: at most 2 left, c among them, and every other connection trimmed.
# (Trimming down to exactly the low watermark is a unit test.)
init e "$mdns_off; s/^low_water = .*/low_water = 1/; s/^high_water = .*/high_water = 2/; s/^grace_period_ms = .*/grace_period_ms = 0/"
start e
e_addr=$(addr_of e)
e_id=$(id_of e)
declare -A ids=([a]="$a_id" [b]="$b_id" [c]=$(id_of c) [d]=$(id_of d))
has "is protected" "$(ag e swarm protect "${ids[c]}")" || fail "swarm protect"
for n in a b c d; do ag e swarm protect "${ids[$n]}" --tag hold >/dev/null; done
for n in a b c d; do ag "$n" swarm connect "$e_addr" >/dev/null || fail "$n could not reach e"; done
wait_until 30 peer_count_is e 4 || fail "e has $(peer_count e) peers, not 4"
sleep 2
peer_count_is e 4 || fail "e trimmed protected peers: $(peer_count e) left"
for n in a b d; do ag e swarm unprotect "${ids[$n]}" --tag hold >/dev/null; done
has "${ids[c]} is protected" "$(ag e swarm unprotect "${ids[c]}" --tag hold)" \
  || fail "c lost its other protection tag"
peer_count_at_most() { [[ $(peer_count "$1") -le "$2" ]]; }
wait_until 40 peer_count_at_most e 2 || fail "e did not trim: $(peer_count e) peers left"
left=$(peer_count e)
[[ $(metric e agora_connmgr_trimmed_total) == $((4 - left)) ]] \
  || fail "$left peers left but $(metric e agora_connmgr_trimmed_total) trimmed"
connected e "${ids[c]}" || fail "the protected peer was trimmed"
has 'trimmed by the connection manager' "$(ag e events --json)" || fail "trims are not in the events"
gone=0
for n in a b d; do
  if wait_until 15 not_connected "$n" "$e_id"; then gone=$((gone + 1)); fi
done
[[ $gone == $((4 - left)) ]] || fail "$gone of the trimmed peers see the connection closed"

# 5. A private network on the same LAN: its nodes meet each other by mDNS, and never a public one.
b_mdns=$(metric b 'agora_peers_discovered_total{source="mdns"}')
ag p1 init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --private >/dev/null
ag p2 init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 --swarm-key "$work/p1/swarm.key" >/dev/null
start p1
start p2
fp=$(ag p1 id --json | json 'd["network"]["fingerprint"]')
grep -q "^mdns on 127.0.0.1 (_p2p-$fp._udp.local)\$" "$work/p1.log" || fail "p1's mDNS service is not its network's"
[[ $(ag p1 id --json | json 'd["discovery"]["mdns"]["service"]') == "_p2p-$fp._udp.local" ]] \
  || fail "agora id does not show the private mDNS service"
p2_id=$(id_of p2)
wait_until 30 connected p1 "$p2_id" || fail "p1 did not find p2 by mDNS"
wait_until 30 metric_at_least p2 'agora_peers_discovered_total{source="mdns"}' 1 \
  || fail "p2 did not hear p1's announcement"
# b announces every query interval; p1 and p2 heard each other, and only each other.
[[ $(metric p1 'agora_peers_discovered_total{source="mdns"}') == 1 ]] || fail "p1 heard of a public node"
[[ $(metric p2 'agora_peers_discovered_total{source="mdns"}') == 1 ]] || fail "p2 heard of a public node"
[[ $(metric b 'agora_peers_discovered_total{source="mdns"}') == "$b_mdns" ]] \
  || fail "the public b heard of a private node"
not_connected b "$p2_id" || fail "the public b connected to a private node"

for n in a b c d e p1 p2; do stop "$n"; done
echo "discovery daemons: ok"
