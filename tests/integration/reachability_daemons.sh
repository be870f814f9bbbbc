#!/usr/bin/env bash
# A node's own reachability checks (AutoNAT, [autonat] check_interval_s): `a` checks every
# second; once connected to `b`, it finds itself reachable (b dials it back at its loopback
# address), `agora id` says so with the probe, agora_reachability_status{status="reachable"} is
# 1, and a reachability_changed event records the change from unknown. A node with the checks
# off (`b`, check_interval_s = 0) never asks: its agora_autonat_asked_total stays 0.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/daemons_lib.sh" reachability
init a; init b
set_interval() { sed -i "s/^check_interval_s = .*/check_interval_s = $2/" "$work/$1/config.toml"; }
set_interval a 1
set_interval b 0
start a; start b
a a swarm connect "$(addr b)" >/dev/null
reachable() { a a --json id | field 'd["reachability"]["status"]' | grep -qx reachable; }
eventually 100 reachable || fail "a never found itself reachable: $(a a --json id)"
a a --json id | field 'd["reachability"]["probes"][0]["addr"]' | grep -q "^/ip4/127.0.0.1/tcp/" ||
  fail "no probe with the address b reached: $(a a --json id)"
a a metrics | grep -qx 'agora_reachability_status{status="reachable"} 1' ||
  fail "the gauge does not say reachable: $(a a metrics | grep reachability)"
a a events --json | grep '"type":"reachability_changed"' | grep -q '"reason":"reachable"' ||
  fail "no reachability_changed event: $(a a events)"
sleep 2  # b's checks are off: in this time it would have asked a
asked=$(a b metrics | awk -F' ' '/^agora_autonat_asked_total/ {s += $2} END {print s + 0}')
[[ "$asked" == 0 ]] || fail "b asked for $asked dial-backs with its checks off"
served=$(a b metrics | awk '$1 == "agora_autonat_served_total{status=\"ok\"}" {print $2}')
[[ "${served:-0}" -ge 1 ]] || fail "b dialled a back for none of its checks"
echo "reachability: ok"
