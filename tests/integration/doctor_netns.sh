#!/usr/bin/env bash
# `agora doctor` against a daemon in a network namespace this test creates (root, iproute2): the
# daemon listens on the namespace's side of a veth pair; the CLI runs outside it and reaches the
# daemon's API through its Unix socket. Reachable: the listening check passes. Then a firewall
# that drops (a blackhole route for the daemon's replies) makes the port silent from outside, and
# the verdict is `local` with the port and "no answer" as evidence. Exit 77 (skipped, as ctest
# shows it) without root or iproute2, or where namespaces cannot be made (a container without
# CAP_SYS_ADMIN).
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
daemon_pid=""
cleanup() {
  [[ -n "$daemon_pid" ]] && kill -KILL "$daemon_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$host_if" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f "$work/d.log" ]] && tail -20 "$work/d.log" >&2; exit 1; }
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
