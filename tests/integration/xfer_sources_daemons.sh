#!/usr/bin/env bash
# An xfer fetch finds more sources through the DHT while one source already serves it (issue 12),
# between `agora daemon` processes on loopback (mDNS off, no dialling of known peers):
#   - m fetches a file from the seed s and announces its root as provided as soon as it holds the
#     skeleton ([dht] provide_fetched, on by default): findprovs lists m;
#   - d is connected to m, whose upload is capped at 1 MB/s, and not to s. Its get starts from m
#     and also looks the root up in the DHT at once: it dials s and takes the file from both;
#   - with provide_fetched = false, d announces nothing.
# Before, a get that had a connected source never searched, so d took all 24 MiB from m alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=daemons_lib.sh
source "$here/daemons_lib.sh" xfer-sources
peer_of() { addr "$1" | sed 's|.*/p2p/||'; }
provided_keys() { a "$1" dht status --json | field 'd["provided_keys"]'; }
lists() { local out; out=$(a "$1" dht findprovs --json "$2") && grep -q "$(peer_of "$3")" <<<"$out"; }

# s is a DHT client: it provides (on m) but no routing table holds it, so no DHT upkeep ever
# dials it: a peer reaches it only through its provider record.
init m
start m --upload-rate 1000000
init s
sed -i '/^\[dht\]/,$ s/^mode = "auto"/mode = "client"/' "$work/s/config.toml"
grep -q '^mode = "client"' "$work/s/config.toml" || fail "could not set client mode"
a s bootstrap add "$(addr m)" >/dev/null
start s
head -c $((24 << 20)) /dev/urandom >"$work/file.bin"
cid=$(a s add -q "$work/file.bin")
eventually 300 lists m "$cid" s || fail "s's provider record is not on m"

# 1. m fetches from s and is a provider from then on.
a m get "$cid" -o "$work/m.bin" >/dev/null || fail "m could not get the file"
cmp "$work/file.bin" "$work/m.bin" || fail "m's copy differs"
eventually 300 lists m "$cid" m || fail "m, which fetched the file, is not listed as its provider"

# 2. d knows only m (its bootstrap peer).
init d
sed -i '/^\[dht\]/,$ s/^provide_fetched = true/provide_fetched = false/' "$work/d/config.toml"
grep -q '^provide_fetched = false' "$work/d/config.toml" || fail "could not set provide_fetched"
a d bootstrap add "$(addr m)" >/dev/null
start d
eventually 300 lists d "$cid" s || fail "d does not find s's provider record"
# A lookup of s's own may have dialled d (s asks the DHT too): cut that, so that only a provider
# search of d's reaches s.
for _ in $(seq 50); do
  a d swarm disconnect "$(peer_of s)" >/dev/null 2>&1 || true
  peers=$(a d swarm peers --json)
  grep -q "$(peer_of s)" <<<"$peers" || break
  sleep 0.1
done
if grep -q "$(peer_of s)" <<<"$peers"; then fail "d is connected to s before its get"; fi
grep -q "$(peer_of m)" <<<"$peers" || fail "d is not connected to m: $peers"

res=$(a d get --json "$cid" -o "$work/d.bin") || fail "d could not get the file"
cmp "$work/file.bin" "$work/d.bin" || fail "d's copy differs"
from_s=$(field "d['sources'].get('$(peer_of s)', 0)" <<<"$res")
from_m=$(field "d['sources'].get('$(peer_of m)', 0)" <<<"$res")
echo "d's get: $from_s bytes from s (found through the DHT), $from_m from m (capped at 1 MB/s)"
((from_s > 0)) || fail "d never took bytes from s, which only the DHT could find: $res"
metric() { a "$1" metrics | awk -v m="$2" '$1 == m {s += $2} END {print s + 0}'; }
(($(metric d agora_dht_provider_searches_total) >= 1)) || fail "d did not search the DHT"

# 3. d (provide_fetched = false) announced nothing; m did.
(($(provided_keys d) == 0)) || fail "d provided a key: $(a d dht status --json)"
(($(provided_keys m) >= 1)) || fail "m provides no key: $(a m dht status --json)"
echo "xfer_sources_daemons: all checks passed"
