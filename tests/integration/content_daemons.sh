#!/usr/bin/env bash
# Content between two `agora daemon` processes on loopback: add a file and a tree on one, fetch
# both by CID on the other (get, cat, ls), resume a get after kill -9 without fetching stored
# blocks again, repo verify after kill -9 during add, gc, quarantine of a corrupted block file,
# and clear errors for bad CIDs and paths.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-content.XXXXXX)"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start() {  # start NAME (init on first use)
  if [[ ! -d "$work/$1" ]]; then
    "$agora" --repo "$work/$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
    # No mDNS: daemons of other tests on this host must not find these (discovery_daemons.sh
    # tests mDNS in a network namespace of its own).
    sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"
  fi
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }

start a
start b
mkdir -p "$work/in/tree/sub"
head -c $((40 << 20)) /dev/urandom >"$work/in/big.bin"
for i in $(seq 30); do echo "small $i" >"$work/in/tree/f$i.txt"; done
printf 'ünïcödé\n' >"$work/in/tree/sub/ñame.txt"

big=$("$agora" --repo "$work/a" add --json "$work/in/big.bin" | json 'd["cid"]')
tree=$("$agora" --repo "$work/a" add -Q -r "$work/in/tree")
[[ "$big" == bafy* ]] || fail "unexpected CID $big"
# --only-hash gives the same CID and needs no daemon.
[[ "$("$agora" --repo "$work/none" add -q --only-hash "$work/in/big.bin")" == "$big" ]] || fail "only-hash CID differs"
"$agora" --repo "$work/a" pin ls | grep -q "$big recursive" || fail "add did not pin"

# Fetch on b: a file, a tree, one path, a listing.
"$agora" --repo "$work/b" get "$big" -o "$work/big.out" --peer "$(addr a)" >/dev/null
cmp "$work/in/big.bin" "$work/big.out" || fail "fetched file differs"
"$agora" --repo "$work/b" get "$tree" -o "$work/tree.out" >/dev/null
diff -r "$work/in/tree" "$work/tree.out" || fail "fetched tree differs"
[[ "$("$agora" --repo "$work/b" cat "$tree/sub/ñame.txt")" == "ünïcödé" ]] || fail "cat by path"
"$agora" --repo "$work/b" ls --json "$tree" | json 'len(d["entries"])' | grep -qx 31 || fail "ls count"
# get never overwrites.
if "$agora" --repo "$work/b" get "$big" -o "$work/big.out" >/dev/null 2>&1; then fail "get overwrote"; fi

# Bad input: clear errors, nothing stored.
out=$("$agora" --repo "$work/b" get notacid -o "$work/x" 2>&1) && fail "bad CID accepted"
grep -q "not a CID" <<<"$out" || fail "unclear bad CID error: $out"
out=$("$agora" --repo "$work/b" cat "$tree/missing.txt" 2>&1) && fail "missing path accepted"
grep -qi "not found\|no such\|missing" <<<"$out" || fail "unclear missing path error: $out"
out=$("$agora" --repo "$work/a" add "$work/in/tree" 2>&1) && fail "directory without -r accepted"
grep -q "use -r" <<<"$out" || fail "unclear directory error: $out"

# Resume: kill -9 b in the middle of a get, restart, get again: stored blocks are not refetched.
head -c $((400 << 20)) /dev/urandom >"$work/in/huge.bin"
huge=$("$agora" --repo "$work/a" add -q "$work/in/huge.bin")
"$agora" --repo "$work/b" get "$huge" -o "$work/huge.out" --peer "$(addr a)" >/dev/null 2>"$work/getter.err" &
getter=$!
# Blocks stored, or written into the destination and recorded as references (a get over xfer):
# once some are in, the seed is paused so the get is surely unfinished when b is killed.
have_bytes() {
  "$agora" --repo "$work/b" repo stat --json 2>/dev/null \
    | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['block_bytes'] + d.get('referenced_bytes', 0))" \
    || echo 0
}
had=0
for _ in $(seq 400); do
  had=$(have_bytes)
  (( had > 20 << 20 )) && break
  sleep 0.02
done
kill -STOP "${pid[a]}"
kill -KILL "${pid[b]}"; wait "${pid[b]}" 2>/dev/null || true
kill -CONT "${pid[a]}"
wait "$getter" 2>/dev/null || true
[[ ! -e "$work/huge.out" ]] || fail "a partial download appeared at the destination"
rm -f "$work/b/api"
start b
"$agora" --repo "$work/b" repo verify >/dev/null || fail "repo verify after kill -9 during get"
res=$("$agora" --repo "$work/b" get --json "$huge" -o "$work/huge.out" --peer "$(addr a)")
local_blocks=$(json 'd["blocks_local"]' <<<"$res")
((local_blocks > 0)) || fail "resumed get fetched everything again (b held $had bytes when killed; the first get said: $(cat "$work/getter.err")): $res"
cmp "$work/in/huge.bin" "$work/huge.out" || fail "resumed file differs"

# kill -9 during add, then verify is clean.
"$agora" --repo "$work/a" add -q "$work/in/huge.bin" --pin false >/dev/null 2>&1 &
sleep 0.3
kill -KILL "${pid[a]}"; wait "${pid[a]}" 2>/dev/null || true
rm -f "$work/a/api"
start a
"$agora" --repo "$work/a" repo verify >/dev/null || fail "repo verify after kill -9 during add"

# gc keeps pinned DAGs, removes the rest; b pinned nothing.
"$agora" --repo "$work/b" pin add "$big" >/dev/null
"$agora" --repo "$work/b" swarm connect "$(addr a)" >/dev/null
"$agora" --repo "$work/b" pin add "$tree" >/dev/null
"$agora" --repo "$work/b" repo gc --json | json 'd["removed_blocks"]' | grep -qv '^0$' || fail "gc removed nothing"
"$agora" --repo "$work/b" cat "$big" | cmp - "$work/in/big.bin" || fail "gc removed a pinned block"

# A corrupted block file is found and quarantined.
# (b's copy of $big lives in big.out, as references: the tree's directory node is a stored block.)
victim=$(find "$work/b/blocks" -type f -name '*.data' -size +1k | head -1)
[[ -n "$victim" ]] || fail "no stored block to corrupt"
printf 'X' | dd of="$victim" bs=1 seek=100 conv=notrunc status=none
if "$agora" --repo "$work/b" repo verify --json >"$work/verify.json"; then fail "verify missed a corrupt block"; fi
json 'd["quarantined_count"]' <"$work/verify.json" | grep -qx 1 || fail "not quarantined: $(cat "$work/verify.json")"
[[ ! -e "$victim" ]] || fail "corrupt block still in place"
echo "content_daemons: all checks passed"
