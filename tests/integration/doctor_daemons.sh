#!/usr/bin/env bash
# `agora doctor` against real daemons on loopback (mDNS off, a bootstrap node, the DHT), one fault
# at a time, each with the verdict and the evidence it must give:
#   - a healthy node, and content that one of its peers serves: ok;
#   - content that nobody provides: network;
#   - content whose provider record exists but whose provider is gone: connection;
#   - a provider that answers pings but no longer has the content: connection, and a get of it
#     that has had no byte for 10 s shows as a stalled transfer;
#   - a peer id the DHT knows nothing of: network; a multiaddr nobody listens on: connection;
#   - a reachable peer: ok with its round trip; one behind a link delayed by 600 ms each way:
#     connection ("a slow link");
#   - a bootstrap list whose peers are all gone: connection;
#   - no daemon for the repo, and no repo: local.
# Exit codes: 0 for ok, 2 for any other verdict. (A firewalled port, a failed dial-back and a
# lossy link are doctor_netns.sh's; not tested: a full disk.)
set -euo pipefail
# shellcheck source=daemons_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/daemons_lib.sh" doctor
# doctor NODE [TARGET] -> sets $rc and $out (the --json object)
doctor() { local n=$1; shift; rc=0; out=$(a "$n" --json doctor "$@") || rc=$?; }
expect() {  # expect VERDICT RC CHECK EVIDENCE_REGEX
  local verdict check
  verdict=$(field 'd["verdict"]' <<<"$out") || fail "doctor printed no JSON: $out"
  [[ "$verdict" == "$1" && "$rc" == "$2" ]] || fail "verdict $verdict (exit $rc), wanted $1 (exit $2): $out"
  [[ -z "$3" ]] && return 0
  check=$(field "[c for c in d['checks'] if c['name'] == '$3'][0]" <<<"$out")
  grep -Eq -- "$4" <<<"$check" || fail "the $3 check lacks /$4/: $check"
}

init boot; start boot
for n in p q; do init "$n"; a "$n" bootstrap add "$(addr boot)" >/dev/null; start "$n"; done

# Healthy, no target; then content q holds, found through the DHT and fetched.
doctor p
expect ok 0 listening "TCP address"
[[ $(field 'len(d["checks"])' <<<"$out") -ge 7 ]] || fail "too few checks: $out"
expect ok 0 reachability 'dialled back by peers: .* ok at /ip4/127\.0\.0\.1/tcp/'
grep -q '"name":"reachability","status":"ok"' <<<"$out" || fail "reachability not ok: $out"
doctor p  # the listening check's own probes are not counted as failures the next time
expect ok 0 failures "no failed dial or handshake"
head -c 300000 /dev/urandom >"$work/q-file"
cid=$(a q add -Q "$work/q-file")
has_provider() { a p dht findprovs --json "$cid" | grep -q "$(addr q | sed 's|.*/p2p/||')"; }
eventually 300 has_provider || fail "p never found q as a provider"
doctor p "$cid"
expect ok 0 content "answers and sends it"
a p --json doctor "$cid" >/dev/null || fail "exit code not 0 for ok"
human=$(a p doctor "$cid") || fail "the text form failed"
grep -q '^verdict: ok$' <<<"$human" || fail "text form: $human"

# A target that is none of the three: a clear error before any check runs.
if a p doctor not-a-cid-or-peer 2>"$work/bad.err"; then fail "a bad target was accepted"; fi
grep -q "is not a CID, a peer id or a multiaddr" "$work/bad.err" || fail "unclear error: $(cat "$work/bad.err")"

# A peer by its multiaddr: three pings, the median round trip.
doctor p "$(addr q)"
expect ok 0 peer "answers, round trip [0-9.]+ ms \\(median of 3\\)"
# (loopback segments are 64 KiB: too few to count loss, which doctor_netns.sh measures)
expect ok 0 link "0.5 MiB sent at [0-9]+ KiB/s"
# A slow link: a peer nobody knows, reached only through a proxy that delays each direction by
# 600 ms (bench/delay_proxy.py; this VM's kernel has no netem).
init slow; start slow
slow_port=$(addr slow | cut -d/ -f5); slow_peer=$(addr slow | sed 's|.*/p2p/||')
python3 "$(dirname "$(readlink -f "$0")")/../../bench/delay_proxy.py" 0 127.0.0.1 "$slow_port" 600 \
  >"$work/proxy.out" 2>&1 &
pid[proxy]=$!
for _ in $(seq 50); do grep -q '^ready' "$work/proxy.out" && break; sleep 0.1; done
proxy_port=$(awk '$1 == "ready" {print $2}' "$work/proxy.out")
[[ -n "$proxy_port" ]] || fail "the delay proxy did not start"
doctor p "/ip4/127.0.0.1/tcp/$proxy_port/p2p/$slow_peer"
expect connection 2 peer "a slow link"

# Nobody provides it.
head -c 1000 /dev/urandom >"$work/nobody"
orphan=$(a p add --only-hash -Q "$work/nobody")
doctor p "$orphan"
expect network 2 content "no providers? of $orphan"
[[ $(field 'd["fix"]' <<<"$out") == *"provided by a peer that is online"* ]] || fail "no fix: $out"

# A provider that is reachable but no longer serves it: q unpins and collects the file, its
# provider record stays in the DHT; the fetch through the node gives up at its stall timeout.
head -c 150000 /dev/urandom >"$work/q-dropped"
dropped=$(a q add -Q "$work/q-dropped")
has_dropped() { a p dht findprovs --json "$dropped" | grep -q "$(addr q | sed 's|.*/p2p/||')"; }
eventually 300 has_dropped || fail "p never found q as the provider of the file it will drop"
a q pin rm "$dropped" >/dev/null
a q repo gc >/dev/null
# A get of it that has waited 11 s without a byte shows as a stalled transfer.
a p get "$dropped" -o "$work/never" >/dev/null 2>&1 &
getter=$!
sleep 11
doctor p "$dropped"
expect connection 2 content "answer pings, but $dropped did not come"
grep -q '"name":"transfers","status":"warn"' <<<"$out" || fail "the stalled get is not shown: $out"
grep -q "stalled (no byte in 10 s): get $dropped" <<<"$out" || fail "no stalled evidence: $out"
wait "$getter" 2>/dev/null || true

# A provider record whose provider is gone: r provides, then stops.
init r; a r bootstrap add "$(addr boot)" >/dev/null; start r
head -c 200000 /dev/urandom >"$work/r-file"
gone=$(a r add -Q "$work/r-file")
r_peer=$(addr r | sed 's|.*/p2p/||')
has_r() { a p dht findprovs --json "$gone" | grep -q "$r_peer"; }
eventually 300 has_r || fail "p never found r as a provider"
stop r
doctor p "$gone"
expect connection 2 content "no provider could be reached"

# A peer nobody knows; a multiaddr nobody listens on.
unknown=$(a r id --json 2>/dev/null | field 'd["peer"]' || true)
[[ -n "$unknown" ]] || unknown="$r_peer"
init lost
lost_peer=$("$agora" --repo "$work/lost" id --json 2>/dev/null | field 'd["peer"]' || true)
if [[ -z "$lost_peer" ]]; then  # id needs a daemon: read the peer id from a short run
  start lost; lost_peer=$(addr lost | sed 's|.*/p2p/||'); stop lost
fi
doctor p "$lost_peer"
expect network 2 peer "knows no address"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
doctor p "/ip4/127.0.0.1/tcp/$port/p2p/$lost_peer"
expect connection 2 peer "cannot be reached"

# Every bootstrap peer gone.
stop boot
a p swarm disconnect "$(addr boot | sed 's|.*/p2p/||')" >/dev/null 2>&1 || true
sleep 0.5
doctor p
expect connection 2 bootstrap "none of 1 bootstrap peer"

# No daemon; no repo.
stop p
doctor p
expect local 2 daemon "no agora daemon is running"
grep -q '"name":"repo","status":"ok"' <<<"$out" || fail "the repo check should pass: $out"
rc=0; out=$("$agora" --repo "$work/nowhere" --json doctor) || rc=$?
expect local 2 repo "no repo at"
echo "doctor: ok"
