#!/usr/bin/env bash
# The CLI's output for people, through the real binary against a real daemon: `ls` sizes in
# human units (bytes under --json), singular and plural counts, `pin ls` with nothing pinned,
# `dht put` saying why it cannot read its file, `add -r`'s lines (-q, -Q, --json), and the same
# output in a pseudo-terminal.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-cliout.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -40 "$f" >&2; done; exit 1; }
ag() { "$agora" --repo "$work/a" "$@"; }

ag init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
sed -i -e 's/^mdns = true/mdns = false/' "$work/a/config.toml"
: >"$work/a.log"
"$agora" --repo "$work/a" daemon >"$work/a.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^ready' "$work/a.log" && break; sleep 0.1; done
grep -q '^ready' "$work/a.log" || fail "a did not become ready"

# Nothing pinned yet: said so, in a terminal too; --json an empty list.
out=$(ag pin ls)
[[ "$out" == "nothing is pinned" ]] || fail "pin ls with no pins: '$out'"
out=$(script -qec "$agora --repo $work/a pin ls" /dev/null | tr -d '\r')
[[ "$out" == "nothing is pinned" ]] || fail "pin ls in a terminal: '$out'"
[[ $(ag --json pin ls | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["pins"]))') == 0 ]] \
  || fail "pin ls --json is not an empty list"

# ls: human sizes; --json the bytes.
mkdir -p "$work/dir"
head -c 3000000 /dev/urandom >"$work/dir/big.bin"
printf 'hello\n' >"$work/dir/small.txt"
root=$(ag add -r -Q "$work/dir")
out=$(ag ls "$root")
grep -Eq '^baf[a-z0-9]+ +3\.0 MB file big\.bin$' <<<"$out" || fail "ls does not show 3.0 MB: $out"
grep -Eq '^baf[a-z0-9]+ +6 B file small\.txt$' <<<"$out" || fail "ls does not show 6 B: $out"
sizes=$(ag --json ls "$root" | python3 -c 'import json,sys; print(sorted(e["size"] for e in json.load(sys.stdin)["entries"]))')
[[ "$sizes" == "[6, 3000000]" ]] || fail "ls --json sizes are not the bytes: $sizes"
out=$(script -qec "$agora --repo $work/a ls $root" /dev/null | tr -d '\r')
grep -q ' 3.0 MB file big.bin' <<<"$out" || fail "ls in a terminal: $out"

# add -r: a line per file and directory as kubo prints them, a directory after what is in it and
# the root last; -q the CIDs alone (root last), -Q the root's alone, --json one object for the
# root; --only-hash prints the same without storing; each CID is what ls shows for that name.
mkdir -p "$work/tree/sub"
printf 'a\n' >"$work/tree/a.txt"
printf 'b\n' >"$work/tree/sub/b.txt"
out=$(ag add -r "$work/tree")
[[ $(cut -d' ' -f1,3 <<<"$out") == "added $work/tree/a.txt
added $work/tree/sub/b.txt
added $work/tree/sub
added $work/tree" ]] || fail "add -r does not print each entry, root last: $out"
cids=$(cut -d' ' -f2 <<<"$out")
tree_root=$(tail -n1 <<<"$cids")
ls_cid() {  # ls_cid DIR NAME: the CID ls shows for NAME in DIR
  ag --json ls "$1" | python3 -c 'import json,sys; print(*[e["cid"] for e in json.load(sys.stdin)["entries"] if e["name"] == sys.argv[1]])' "$2"
}
[[ $(ls_cid "$tree_root" a.txt) == $(sed -n 1p <<<"$cids") ]] || fail "add -r: a.txt's CID"
[[ $(ls_cid "$tree_root/sub" b.txt) == $(sed -n 2p <<<"$cids") ]] || fail "add -r: b.txt's CID"
[[ $(ls_cid "$tree_root" sub) == $(sed -n 3p <<<"$cids") ]] || fail "add -r: sub's CID"
[[ $(ag add -r -q "$work/tree") == "$cids" ]] || fail "add -r -q is not each CID, root last: $(ag add -r -q "$work/tree")"
[[ $(ag add -r -Q "$work/tree") == "$tree_root" ]] || fail "add -r -Q is not the root alone: $(ag add -r -Q "$work/tree")"
[[ $(ag add -r --quieter "$work/tree/a.txt") == $(sed -n 1p <<<"$cids") ]] || fail "add --quieter of a file"
[[ $(ag --json add -r "$work/tree" | python3 -c 'import json,sys; l=sys.stdin.read().splitlines(); print(len(l), json.loads(l[0])["cid"])') \
   == "1 $tree_root" ]] || fail "add -r --json is not one object for the root"
[[ $(ag add -r -n "$work/tree") == "$out" ]] || fail "add -r --only-hash prints other lines: $(ag add -r -n "$work/tree")"
[[ $(cd "$work" && ag add -r -q -n tree/ | wc -l) == 4 && $(cd "$work" && ag add -r tree/ | sed -n 2p | cut -d' ' -f3) == tree/sub/b.txt ]] \
  || fail "add -r of a relative path with a slash: $(cd "$work" && ag add -r tree/)"

# add -r of a symlink to a directory says that it stored the link, not the directory.
ln -s "$work/dir" "$work/link"
out=$(ag add -r "$work/link")
grep -qF "(a symbolic link to $work/dir, stored as the link, not followed: add $work/dir to add what it points to)" \
  <<<"$out" || fail "add -r of a symlink does not say what it did: $out"

# --preserve-mode keeps the executable bits in UnixFS mode (field 7 of the Data message: 0755 is
# the varint ed 03 after tag 0x38); without it, mode is not stored and the CIDs do not differ.
printf '#!/bin/sh\necho hi\n' >"$work/plain.sh"
cp "$work/plain.sh" "$work/exec.sh"
chmod 0644 "$work/plain.sh"
chmod 0755 "$work/exec.sh"
[[ $(ag add -q "$work/plain.sh") == $(ag add -q "$work/exec.sh") ]] || fail "mode changed a CID without --preserve-mode"
exec_cid=$(ag add -q --preserve-mode "$work/exec.sh")
[[ "$exec_cid" != $(ag add -q --preserve-mode "$work/plain.sh") ]] || fail "--preserve-mode: same CID for 0755 and 0644"
[[ "$exec_cid" == $(ag add -n -q --preserve-mode "$work/exec.sh") ]] || fail "--only-hash --preserve-mode gives another CID"
ag block get "$exec_cid" >"$work/exec.block"
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(0 if b"\x38\xed\x03" in d else 1)' "$work/exec.block" \
  || fail "the root block of $exec_cid holds no mode 0755"

# Counts: one block, not "1 blocks".
printf 'one block\n' >"$work/one.txt"
ag add --pin false -q "$work/one.txt" >/dev/null
out=$(ag repo gc)
grep -Eq '^removed 1 block \(' <<<"$out" || fail "gc of one block: $out"
out=$(ag repo gc)
grep -Eq '^removed 0 blocks \(' <<<"$out" || fail "gc of nothing: $out"

# dht put says why it cannot read the value's file.
peer=$(ag id --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["peer"])')
if out=$(ag dht put "/pk/$peer" "$work/no-such-file" 2>&1); then fail "dht put of a missing file"; fi
grep -q "cannot read $work/no-such-file: No such file or directory" <<<"$out" || fail "dht put, missing file: $out"
if out=$(ag dht put "/pk/$peer" "$work/dir" 2>&1); then fail "dht put of a directory"; fi
grep -q "cannot read $work/dir: it is a directory" <<<"$out" || fail "dht put, a directory: $out"
echo "cli output: ok"
