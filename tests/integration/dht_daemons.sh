#!/usr/bin/env bash
# The DHT between eight `agora daemon` processes on loopback, with mDNS off and the connection
# manager's low watermark at 0, so the DHT is the only way they learn of one another beyond the
# bootstrap peer:
#   - six nodes bootstrap to a seventh and fill their routing tables from it;
#   - two nodes add the same file; a third, disconnected from both, gets it with no --peer: bitswap
#     asks its connected peers, none has it, the providers are found through the DHT, dialled, and
#     the file arrives from them;
#   - findprovs lists both providers, findpeer finds a node's addresses;
#   - a pk record is PUT on one node and GET on another; a forged one is refused;
#   - `dht query` prints its steps;
#   - a restarted daemon reloads its routing table (and its provided keys) from agora.db and
#     works without any bootstrap peer;
#   - with provide = "all" blocks below the root are provided too;
#   - a client-mode node asks the DHT but no server puts it in its routing table;
#   - no honest node counted any bad input.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-dht.XXXXXX)"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
a() { local n=$1; shift; "$agora" --repo "$work/$n" "$@"; }

start() {  # start NAME (init first)
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &  # not via a(): $! must be agora
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
stop() {  # a clean shutdown (saves the routing table)
  kill -TERM "${pid[$1]}"; wait "${pid[$1]}" || fail "$1 did not exit cleanly"; unset "pid[$1]"
}
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }
peer_of() { addr "$1" | sed 's|.*/p2p/||'; }
# Polls `cmd...` until it succeeds, up to $1 tenths of a second.
eventually() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
table_size() { a "$1" dht status --json | json 'd["routing_table"]'; }
bootstrapped() { [[ "$(a "$1" dht status --json | json 'd["bootstrapped"]')" == True ]] && (($(table_size "$1") >= $2)); }

nodes=(n1 n2 n3 n4 n5 n6)
init() {
  a "$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' -e 's/^low_water = 32/low_water = 0/' "$work/$1/config.toml"
  grep -q '^mdns = false' "$work/$1/config.toml" || fail "could not turn mDNS off"
  grep -q '^low_water = 0' "$work/$1/config.toml" || fail "could not set low_water"
}
init boot
start boot
for n in "${nodes[@]}"; do
  init "$n"
  a "$n" bootstrap add "$(addr boot)" >/dev/null
  start "$n"
done
grep -q '^dht server' "$work/n1.log" || fail "n1 does not run the DHT in server mode"
# Everyone learns of everyone through the bootstrap node's answers to the self lookups.
for n in "${nodes[@]}"; do
  eventually 300 bootstrapped "$n" 4 || fail "$n did not bootstrap: $(a "$n" dht status --json)"
done

# n4 and n5 add the same file; n1 gets it, connected to neither.
head -c $((5 << 20)) /dev/urandom >"$work/file.bin"
cid=$(a n5 add -q "$work/file.bin")
[[ "$(a n4 add -q "$work/file.bin")" == "$cid" ]] || fail "same file, different CID"
has_providers() { local out; out=$(a "$1" dht findprovs --json "$cid") || return 1
  grep -q "$(peer_of n4)" <<<"$out" && grep -q "$(peer_of n5)" <<<"$out"; }
eventually 300 has_providers n2 || fail "findprovs on n2 does not list n4 and n5: $(a n2 dht findprovs --json "$cid" 2>&1)"
for n in n4 n5; do a n1 swarm disconnect "$(peer_of $n)" >/dev/null 2>&1 || true; done
# (Outputs are captured before grep -q: under pipefail a writer cut off by SIGPIPE fails the pipe.)
peers=$(a n1 swarm peers --json)
if grep -q "$(peer_of n5)" <<<"$peers"; then fail "n1 still connected to n5"; fi
res=$(a n1 get --json "$cid" -o "$work/got.bin") || fail "get without --peer failed"
cmp "$work/file.bin" "$work/got.bin" || fail "fetched file differs"
sources=$(json '" ".join(d["sources"].keys())' <<<"$res")
for s in $sources; do
  [[ "$s" == "$(peer_of n4)" || "$s" == "$(peer_of n5)" ]] || fail "a block came from $s, not a provider"
done
echo "get by CID alone: blocks from $(wc -w <<<"$sources") provider(s)"
metric() { a "$1" metrics | awk -v m="$2" '$1 == m {s += $2} END {print s + 0}'; }
(($(metric n1 agora_dht_provider_searches_total) >= 1)) || fail "n1 did not search the DHT"
(($(metric n1 agora_dht_providers_connected_total) >= 1)) || fail "n1 did not dial a provider"
events=$(a n1 events --json)
grep -q '"reason":"dht"' <<<"$events" || fail "no peer_discovered event for the provider"

# findpeer: n2 finds n6's address.
out=$(a n2 dht findpeer --json "$(peer_of n6)") || fail "findpeer failed"
grep -q "$(addr n6 | sed 's|/p2p/.*||')" <<<"$out" || fail "findpeer gave no address of n6: $out"

# pk records both ways: n3 puts its own public key, n6 gets it.
python3 - "$(peer_of n3)" "$work/pk.bin" <<'EOF'
import sys
alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
n = 0
for ch in sys.argv[1]:
    n = n * 58 + alphabet.index(ch)
zeros = len(sys.argv[1]) - len(sys.argv[1].lstrip("1"))  # each leading '1' is a zero byte
raw = b"\0" * zeros + n.to_bytes((n.bit_length() + 7) // 8, "big")
assert raw[0] == 0 and raw[1] == 36, "not an identity-multihash Ed25519 peer id"
open(sys.argv[2], "wb").write(raw[2:])  # the PublicKey protobuf inside the peer id
EOF
out=$(a n3 dht put --json "/pk/$(peer_of n3)" "$work/pk.bin") || fail "dht put failed"
(($(json 'd["stored"]' <<<"$out") >= 1)) || fail "no peer stored the pk record: $out"
out=$(a n6 dht get --json "/pk/$(peer_of n3)" -o "$work/pk.out") || fail "dht get failed"
cmp "$work/pk.bin" "$work/pk.out" || fail "dht get returned another value"
[[ "$(json 'd["public_key"]["peer"]' <<<"$out")" == "$(peer_of n3)" ]] || fail "pk record names another peer: $out"
if out=$(a n3 dht put "/pk/$(peer_of n4)" "$work/pk.bin" 2>&1); then fail "a forged pk record was accepted"; fi
grep -q "not the key of the peer" <<<"$out" || fail "unclear error for a forged record: $out"
if out=$(a n3 dht get /ipns/whatever 2>&1); then fail "an ipns key was accepted"; fi
grep -q "/pk/" <<<"$out" || fail "unclear error for an unsupported key: $out"

# dht query prints every step.
out=$(a n2 dht query "$(peer_of n5)") || fail "dht query failed: $out"
grep -q "answered in" <<<"$out" || fail "dht query printed no step: $out"
grep -q "closest peers to" <<<"$out" || fail "dht query printed no result: $out"
steps=$(a n2 dht query --json "$cid" | grep -c '"step"') || true
((steps >= 1)) || fail "dht query --json printed no step"
# A CID's lookup is for its providers, as `dht query --help` says: n4 and n5 are listed.
out=$(a n2 dht query "$cid") || fail "dht query of a CID failed: $out"
for n in n4 n5; do
  grep -q "^provider $(peer_of $n) " <<<"$out" || fail "dht query $cid does not list $n: $out"
done
out=$(a n2 dht query "/pk/$(peer_of n3)") || fail "dht query of a stored /pk/ record failed: $out"
grep -q "^a record was found" <<<"$out" || fail "dht query /pk/ found no record: $out"

# A restart keeps the routing table: n2 stops cleanly, loses its bootstrap peer, and starts with
# the table it saved; it still finds peers.
before=$(table_size n2)
stop n2
a n2 bootstrap rm --all >/dev/null
start n2
loaded=$(grep -m1 '^dht ' "$work/n2.log" | awk '{print $3}')
((loaded >= 4 && loaded <= before)) || fail "n2 reloaded $loaded routing table peers, had $before"
((${#loaded} > 0 && $(table_size n2) >= 4)) || fail "n2's routing table is empty after a restart"
eventually 300 a n2 dht findpeer "$(peer_of n6)" || fail "n2 cannot find peers after a restart"
# The provider restarts too: its provided key comes back, to be republished on time.
stop n5
start n5
grep -q '^dht server, [0-9]* routing table peers loaded, 1 provided keys' "$work/n5.log" ||
  fail "n5 did not reload its provided key: $(grep '^dht' "$work/n5.log")"

# provide = "all": every block of a tree is announced, not only its root.
stop n6
sed -i 's/^provide = "roots"/provide = "all"/' "$work/n6/config.toml"
grep -q '^provide = "all"' "$work/n6/config.toml" || fail "could not set provide = all"
start n6
mkdir -p "$work/tree"
echo one >"$work/tree/a.txt"
echo two >"$work/tree/b.txt"
tree=$(a n6 add -Q -r "$work/tree")
child=$(a n6 ls --json "$tree" | json 'd["entries"][0]["cid"]')
child_provided() { a n3 dht findprovs --json "$child" 2>/dev/null | grep -q "$(peer_of n6)"; }
eventually 300 child_provided || fail "n6 (provide = all) did not provide a block below the root"

# mode = "client": it asks the DHT but does not serve it, so no server lists it.
init cl
sed -i '/^\[dht\]/,$ s/^mode = "auto"/mode = "client"/' "$work/cl/config.toml"
grep -q '^mode = "client"' "$work/cl/config.toml" || fail "could not set client mode"
a cl bootstrap add "$(addr boot)" >/dev/null
start cl
grep -q '^dht client' "$work/cl.log" || fail "cl does not say it is a DHT client"
eventually 300 bootstrapped cl 4 || fail "the client did not bootstrap: $(a cl dht status --json)"
out=$(a cl dht findprovs --json "$cid") || fail "the client cannot find providers"
grep -q "$(peer_of n5)" <<<"$out" || fail "the client's findprovs misses n5: $out"
ids=$(a cl id --json)
if grep -q '/ipfs/kad/1.0.0' <<<"$ids"; then fail "a client advertises the kad protocol"; fi
for n in boot n1; do
  table=$(a "$n" dht table --json)
  if grep -q "$(peer_of cl)" <<<"$table"; then fail "$n put the client in its routing table"; fi
done

# Nobody here sent bad input.
for n in boot cl "${nodes[@]}"; do
  bad=$(a "$n" dht status --json | json 'd["bad_input"]')
  ((bad == 0)) || fail "$n counted $bad bad inputs from honest peers"
done
echo "dht_daemons: all checks passed"
