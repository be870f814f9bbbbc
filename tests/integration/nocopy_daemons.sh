#!/usr/bin/env bash
# `agora add --nocopy` between daemons: the leaves stay in the added file (blocks/ does not grow),
# another daemon fetches the file byte-identical over bitswap, and after a byte of the original
# changes, the seed never serves the stale block (it answers DONT_HAVE, drops the reference and
# records a block_ref_broken event), repo verify reports and drops broken references, gc drops
# unpinned ones and never touches the user's file. Clear refusals for standard input and for a
# profile without raw leaves.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-nocopy.XXXXXX)"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ag() { local r=$1; shift; "$agora" --repo "$work/$r" "$@"; }
flip_byte() {  # flip_byte FILE OFFSET: changes one byte in place (same inode)
  python3 -c "import sys; f=open(sys.argv[1],'r+b'); o=int(sys.argv[2]); f.seek(o); b=f.read(1); f.seek(o); f.write(bytes([b[0]^0xff]))" "$1" "$2"
}
leaf_cid() {  # leaf_cid FILE INDEX: the CID of the INDEX-th 1 MiB leaf (a single raw block)
  dd if="$1" bs=1M skip="$2" count=1 status=none | "$agora" --repo "$work/none" add -q --only-hash
}

start() {  # start NAME (init on first use)
  if [[ ! -d "$work/$1" ]]; then
    ag "$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
    sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"
  fi
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &  # the agora process itself: kill hits it
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }
blocks_kib() { du -sk --apparent-size "$work/$1/blocks" | cut -f1; }

start a
start b
mkdir -p "$work/in/tree/sub"
file="$work/in/f.bin"
head -c $((20 << 20)) /dev/urandom >"$file"  # 20 leaves of 1 MiB
cp "$file" "$work/orig.bin"
for i in 1 2 3; do head -c $((1536 << 10)) /dev/urandom >"$work/in/tree/sub/t$i.bin"; done

# add --nocopy: the same CID as a copying add, and blocks/ grows by the root node only.
before=$(blocks_kib a)
cid=$(ag a add -q --nocopy "$file")
grown=$(($(blocks_kib a) - before))
((grown < 64)) || fail "blocks/ grew by $grown KiB for a 20 MiB file added with --nocopy"
[[ "$(ag none add -q --only-hash "$file")" == "$cid" ]] || fail "nocopy CID differs from the copied one"
ag a pin ls | grep -q "$cid recursive" || fail "add --nocopy did not pin"
stat=$(ag a repo stat --json)
[[ "$(json 'd["referenced_blocks"]' <<<"$stat")" == 20 ]] || fail "repo stat referenced_blocks: $stat"
[[ "$(json 'd["referenced_bytes"]' <<<"$stat")" == $((20 << 20)) ]] || fail "repo stat referenced_bytes: $stat"
ag a repo stat | grep -q "^referenced blocks: 20 " || fail "repo stat text: $(ag a repo stat)"
# A directory references each of its files.
tree=$(ag a add -Q -r --nocopy "$work/in/tree")
[[ "$(ag a repo stat --json | json 'd["referenced_blocks"]')" == 26 ]] || fail "tree files not referenced"

# Refusals: a stream has no file; dag-pb leaves are no byte range of the file.
out=$(echo hi | ag a add --nocopy 2>&1) && fail "nocopy of standard input accepted"
grep -q "standard input" <<<"$out" || fail "unclear stdin refusal: $out"
out=$(ag a add --nocopy --profile unixfs-v0-2015 "$file" 2>&1) && fail "nocopy with dag-pb leaves accepted"
grep -q "needs raw leaves" <<<"$out" || fail "unclear profile refusal: $out"

# b fetches both byte-identical over bitswap, served from the referenced files.
ag b get "$cid" -o "$work/b.out" --peer "$(addr a)" >/dev/null
cmp "$file" "$work/b.out" || fail "fetched file differs"
ag b get "$tree" -o "$work/b-tree" >/dev/null
diff -r "$work/in/tree" "$work/b-tree" || fail "fetched tree differs"
# b stops: a fresh fetch below can only come from a.
kill -KILL "${pid[b]}"; wait "${pid[b]}" 2>/dev/null || true; unset 'pid[b]'

# One byte of leaf 2 changes. A fresh fetch on c never gets it: a answers DONT_HAVE, drops the
# reference and records the event (the sync point).
flip_byte "$file" $(((2 << 20) + 100))
leaf2=$(leaf_cid "$work/orig.bin" 2)
start c
timeout 20 "$agora" --repo "$work/c" get "$cid" -o "$work/c.out" --peer "$(addr a)" >/dev/null 2>&1 &
getter=$!
for _ in $(seq 300); do
  grep -q '"type":"block_ref_broken"' <<<"$(ag a events --json)" && break
  sleep 0.1
done
events=$(ag a events --json)
grep -q '"type":"block_ref_broken"' <<<"$events" || fail "no block_ref_broken event: $events"
grep -q "changed at offset $((2 << 20))" <<<"$events" || fail "event does not name the offset: $events"
# Stopped now (it would wait for its stall timeout): an exit status of 0 means it had finished.
kill "$getter" 2>/dev/null || true
wait "$getter" 2>/dev/null && fail "c's get succeeded with a changed block"
[[ ! -e "$work/c.out" ]] || fail "c wrote an output with a changed block"
if ag c block stat "$leaf2" >/dev/null 2>&1; then fail "c stored the changed block"; fi
if ag a block get "$leaf2" >/dev/null 2>&1; then fail "a still serves the changed block"; fi
cmp -s "$file" "$work/orig.bin" && fail "test setup: the file did not change"
[[ -f "$file" ]] || fail "the user's file was moved"

# repo verify reports another changed leaf, drops its reference, keeps the file.
flip_byte "$file" $(((5 << 20) + 7))
if ag a repo verify --json >"$work/verify.json"; then fail "verify missed a broken reference"; fi
v=$(cat "$work/verify.json")
[[ "$(json 'd["broken_refs_count"]' <<<"$v")" == 1 ]] || fail "broken_refs_count: $v"
[[ "$(json 'd["broken_refs"][0]["offset"]' <<<"$v")" == $((5 << 20)) ]] || fail "broken ref offset: $v"
[[ "$(json 'd["broken_refs"][0]["file"]' <<<"$v")" == "$file" ]] || fail "broken ref file: $v"
[[ "$(json 'd["broken_refs"][0]["removed"]' <<<"$v")" == True ]] || fail "broken ref kept: $v"
json 'd["pinned_blocks_missing"]' <<<"$v" | grep -q "$leaf2" || fail "dropped leaf 2 not reported missing: $v"
flip_byte "$file" $(((7 << 20) + 1))
out=$(ag a repo verify 2>&1) && fail "text verify missed a broken reference"
grep -q "broken reference: file $file changed at offset $((7 << 20)): block .* no longer matches; reference removed" <<<"$out" ||
  fail "verify text: $out"
[[ -f "$file" ]] || fail "verify moved the user's file"

# gc of the unpinned file drops its references and leaves the file alone.
ag a pin rm "$cid" >/dev/null
ag a pin rm "$tree" >/dev/null
ag a repo gc >/dev/null
[[ "$(ag a repo stat --json | json 'd["referenced_blocks"]')" == 0 ]] || fail "gc left references"
[[ -f "$file" && -f "$work/in/tree/sub/t1.bin" ]] || fail "gc removed a user's file"
echo "nocopy_daemons: all checks passed"
