#!/usr/bin/env bash
# `agora doctor` against a daemon in a network namespace this test creates (root, iproute2): the
# daemon listens on the namespace's side of a veth pair; the CLI runs outside it and reaches the
# daemon's API through its Unix socket. Reachable: the listening check passes. Then a firewall
# that drops (a blackhole route for the daemon's replies) makes the port silent from outside, and
# the verdict is `local` with the port and "no answer" as evidence. Exit 77 (skipped, as ctest
# shows it) without root or iproute2, or where namespaces cannot be made (a container without
# CAP_SYS_ADMIN).
#
# With a second daemon (H) on this side of the veth pair and nftables: H dials the daemon back
# over AutoNAT, so reachability is ok; a firewall in the namespace that drops connections arriving
# over the veth (while this machine's own connect still works) makes reachability fail, `local`;
# a slow (tc tbf) and lossy (nftables dropping 10% of TCP packets each way) link to H makes
# `agora doctor <H>` say `connection` with the retransmissions as evidence; content nobody
# provides is `network`; with H the only bootstrap peer and the way to it dropped, `connection`.
# Those parts are skipped, and the test reported skipped, where nft cannot filter or tc
# cannot shape in the namespace.
set -euo pipefail
agora="$(readlink -f "${AGORA_BIN:?set AGORA_BIN}")"
if [[ $(id -u) -ne 0 ]] || ! command -v ip >/dev/null; then
  echo "SKIP: needs root and ip (network namespaces)" >&2
  exit 77
fi
work="$(mktemp -d /tmp/agora-doctor-ns.XXXXXX)"
ns="agora-doctor-$$"
host_if="agd$$h"; ns_if="agd$$n"
host_if=${host_if:0:15}; ns_if=${ns_if:0:15}
net="10.213.$((RANDOM % 250)).0"
host_ip="${net%.0}.1"; ns_ip="${net%.0}.2"
daemon_pid=""; helper_pid=""
cleanup() {
  [[ -n "$daemon_pid" ]] && kill -KILL "$daemon_pid" 2>/dev/null || true
  [[ -n "$helper_pid" ]] && kill -KILL "$helper_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done
  exit 1
}
in_ns() { ip netns exec "$ns" "$@"; }
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

if ! ip netns add "$ns" 2>"$work/netns.err"; then
  echo "SKIP: cannot create a network namespace here: $(cat "$work/netns.err")" >&2
  exit 77
fi
ip link add "$host_if" type veth peer name "$ns_if"
ip link set "$ns_if" netns "$ns"
ip addr add "$host_ip/24" dev "$host_if"
ip link set "$host_if" up
ip netns exec "$ns" ip addr add "$ns_ip/24" dev "$ns_if"
ip netns exec "$ns" ip link set "$ns_if" up
ip netns exec "$ns" ip link set lo up

"$agora" --repo "$work/d" init --listen "/ip4/$ns_ip/tcp/0" --api 127.0.0.1:0 >/dev/null
sed -i -e 's/^mdns = true/mdns = false/' "$work/d/config.toml"
ip netns exec "$ns" "$agora" --repo "$work/d" daemon >"$work/d.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do grep -q '^ready' "$work/d.log" && break; sleep 0.1; done
grep -q '^ready' "$work/d.log" || fail "the daemon in the namespace did not start"
port=$(awk '$1 == "listening" {print $2; exit}' "$work/d.log" | cut -d/ -f5)
[[ "$port" =~ ^[0-9]+$ ]] || fail "no listening port in the log"

rc=0; out=$("$agora" --repo "$work/d" --json doctor) || rc=$?
[[ $(field 'd["verdict"]' <<<"$out") == ok && $rc == 0 ]] || fail "reachable daemon: $out"
grep -q "\"name\":\"listening\",\"status\":\"ok\"" <<<"$out" || fail "listening not ok: $out"

skipped=""
if command -v nft >/dev/null && in_ns nft add table inet agora_probe 2>"$work/nft.err" &&
  in_ns tc qdisc add dev lo root tbf rate 4mbit burst 32kbit latency 200ms 2>>"$work/nft.err"; then
  in_ns nft delete table inet agora_probe
  in_ns tc qdisc del dev lo root
  # H: a daemon on this side, in the wider network. The daemon in the namespace dials it.
  "$agora" --repo "$work/h" init --listen "/ip4/$host_ip/tcp/0" --api 127.0.0.1:0 >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' "$work/h/config.toml"
  "$agora" --repo "$work/h" daemon >"$work/h.log" 2>&1 &
  helper_pid=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/h.log" && break; sleep 0.1; done
  grep -q '^ready' "$work/h.log" || fail "the helper daemon did not start"
  h_addr=$(awk '$1 == "listening" {print $2; exit}' "$work/h.log")
  h_peer=${h_addr##*/p2p/}
  "$agora" --repo "$work/d" swarm connect "$h_addr" >/dev/null || fail "cannot connect to H"

  # Reachable: H dials the daemon back at its address in the namespace. The doctor runs in the
  # namespace from here on, so its own connect to the port is local.
  rc=0; out=$(in_ns "$agora" --repo "$work/d" --json doctor "$h_peer") || rc=$?
  [[ $(field 'd["verdict"]' <<<"$out") == ok && $rc == 0 ]] || fail "reachable, clean link: $out"
  check=$(field "[c for c in d['checks'] if c['name'] == 'reachability'][0]" <<<"$out")
  grep -q "dialled back" <<<"$check" && grep -q "$ns_ip/tcp/$port" <<<"$check" ||
    fail "no dial-back at the daemon's address: $check"
  check=$(field "json.dumps([c for c in d['checks'] if c['name'] == 'link'][0])" <<<"$out")
  [[ $(field 'd["status"]' <<<"$check") == ok ]] || fail "a clean link is not ok: $check"

  # A firewall that drops new connections arriving over the veth: the local connect still
  # works (listening ok), but H cannot dial back.
  in_ns nft add table inet agora_fw
  in_ns nft add chain inet agora_fw in '{ type filter hook input priority 0; }'
  in_ns nft add rule inet agora_fw in iifname "$ns_if" tcp dport "$port" \
    tcp flags '&' '(syn|ack)' == syn drop
  rc=0; out=$(in_ns "$agora" --repo "$work/d" --json doctor) || rc=$?
  [[ $(field 'd["verdict"]' <<<"$out") == local && $rc == 2 ]] || fail "firewalled dial-back: $out"
  grep -q '"name":"listening","status":"ok"' <<<"$out" || fail "listening not ok: $out"
  check=$(field "[c for c in d['checks'] if c['name'] == 'reachability'][0]" <<<"$out")
  grep -q "could not dial this node back" <<<"$check" && grep -q "dial_error" <<<"$check" ||
    fail "the reachability check lacks the dial-back's failure: $check"
  [[ $(field 'd["fix"]' <<<"$out") == *firewall* ]] || fail "no fix: $out"
  in_ns nft delete table inet agora_fw

  # A slow and lossy link: 4 Mbit/s each way (tc tbf), and 10% of TCP packets dropped each way.
  tc qdisc add dev "$host_if" root tbf rate 4mbit burst 32kbit latency 200ms
  in_ns tc qdisc add dev "$ns_if" root tbf rate 4mbit burst 32kbit latency 200ms
  in_ns nft add table inet agora_loss
  in_ns nft add chain inet agora_loss in '{ type filter hook input priority 0; }'
  in_ns nft add chain inet agora_loss out '{ type filter hook output priority 0; }'
  in_ns nft add rule inet agora_loss in iifname "$ns_if" meta l4proto tcp \
    numgen random mod 100 '<' 10 drop
  in_ns nft add rule inet agora_loss out oifname "$ns_if" meta l4proto tcp \
    numgen random mod 100 '<' 10 drop
  rc=0; out=$(in_ns "$agora" --repo "$work/d" --json doctor "$h_peer") || rc=$?
  [[ $(field 'd["verdict"]' <<<"$out") == connection && $rc == 2 ]] || fail "lossy link: $out"
  check=$(field "json.dumps([c for c in d['checks'] if c['name'] == 'link'][0])" <<<"$out")
  grep -q "a lossy link" <<<"$check" && grep -q "retransmitted" <<<"$check" ||
    fail "the link check lacks the loss: $check"
  echo "lossy link: $(field 'd["evidence"]' <<<"$check")"
  in_ns nft delete table inet agora_loss
  tc qdisc del dev "$host_if" root
  in_ns tc qdisc del dev "$ns_if" root

  # Content nobody provides: the namespace's DHT (H) has no provider record of it: network.
  head -c 1000 /dev/urandom >"$work/nobody"
  orphan=$("$agora" --repo "$work/d" add --only-hash -Q "$work/nobody")
  rc=0; out=$(in_ns "$agora" --repo "$work/d" --json doctor "$orphan") || rc=$?
  [[ $(field 'd["verdict"]' <<<"$out") == network && $rc == 2 ]] || fail "no provider: $out"

  # No bootstrap peer reachable: H is the only one, and the way out to it is dropped.
  "$agora" --repo "$work/d" bootstrap add "$h_addr" >/dev/null
  in_ns nft add table inet agora_out
  in_ns nft add chain inet agora_out out '{ type filter hook output priority 0; }'
  in_ns nft add rule inet agora_out out ip daddr "$host_ip" tcp dport "$(cut -d/ -f5 <<<"$h_addr")" \
    drop
  "$agora" --repo "$work/d" swarm disconnect "$h_peer" >/dev/null
  rc=0; out=$(in_ns "$agora" --repo "$work/d" --json doctor) || rc=$?
  [[ $(field 'd["verdict"]' <<<"$out") == connection && $rc == 2 ]] || fail "bootstrap gone: $out"
  grep -q '"name":"bootstrap","status":"fail"' <<<"$out" || fail "bootstrap not failed: $out"
  grep -q "none of 1 bootstrap peer" <<<"$out" || fail "no bootstrap evidence: $out"
  in_ns nft delete table inet agora_out
  kill -KILL "$helper_pid"; wait "$helper_pid" 2>/dev/null || true; helper_pid=""
else
  skipped="no nftables filtering or tc tbf in the namespace: $(cat "$work/nft.err" 2>/dev/null)"
  echo "SKIP (part): dial-back and lossy link: $skipped" >&2
fi

# The firewall: nothing the daemon's host sends back reaches this machine (a blackhole route in
# the namespace: the test VM's kernel has neither tc's drop action nor netem nor netfilter), so
# a connection to the port gets no answer, as behind a firewall that drops.
ip netns exec "$ns" ip route add blackhole "$host_ip/32"
rc=0; out=$("$agora" --repo "$work/d" --json doctor) || rc=$?
[[ $(field 'd["verdict"]' <<<"$out") == local && $rc == 2 ]] || fail "firewalled port: $out"
check=$(field "[c for c in d['checks'] if c['name'] == 'listening'][0]" <<<"$out")
grep -q "$ns_ip/tcp/$port" <<<"$check" && grep -q "no answer within 2 s" <<<"$check" ||
  fail "the listening check lacks the port or the reason: $check"
[[ $(field 'd["fix"]' <<<"$out") == *firewall* ]] || fail "no fix: $out"
echo "doctor in a namespace: ok"
[[ -z "$skipped" ]] || exit 77
