#!/usr/bin/env bash
# /agora/xfer/1.0.0 between `agora daemon` processes (docs/xfer.md), through the real CLI:
#   - b gets a file from a over xfer, byte-identical, straight into its destination: b's blocks/
#     does not grow by the file, its leaves are references into the file it wrote;
#   - c gets the file from b alone (a is stopped): b serves it from that file, no second copy;
#   - a directory still comes over bitswap, and a changed byte in b's file is never served on;
#   - a daemon started with --download-rate reads no faster than that rate;
#   - a get asks again the peers that had nothing when it began: g, which adds the file a second
#     after f's get of it began, soon serves f too.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-xfer.XXXXXX)"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -KILL "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
ag() { local n=$1; shift; "$agora" --repo "$work/$n" "$@"; }
metric() { ag "$1" metrics | awk -v m="$2" '$1 == m { print $2 }'; }

start() {  # start NAME [daemon options]
  [[ -d "$work/$1" ]] || {
    "$agora" --repo "$work/$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
    sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"  # other tests' daemons
  }
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon "${@:2}" >"$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }
stat_of() { ag "$1" repo stat --json | json "d[\"$2\"]"; }

start a
start b
start c
mkdir -p "$work/in/tree"
head -c $((48 << 20)) /dev/urandom >"$work/in/file.bin"
for i in $(seq 5); do echo "entry $i" >"$work/in/tree/f$i.txt"; done
cid=$(ag a add -Q "$work/in/file.bin")
tree=$(ag a add -Q -r "$work/in/tree")

# 1. a -> b over xfer, written once.
res=$(ag b get --json "$cid" -o "$work/b.bin" --peer "$(addr a)")
cmp "$work/in/file.bin" "$work/b.bin" || fail "b's file differs"
[[ $(json 'd["bytes_written"]' <<<"$res") == $((48 << 20)) ]] || fail "bytes written: $res"
sent=$(metric a agora_xfer_leaf_bytes_sent_total)
(( sent == 48 << 20 )) || fail "a did not send the leaves over xfer: $sent"
(( $(stat_of b block_bytes) < 1 << 20 )) || fail "b stored a second copy: $(stat_of b block_bytes) bytes"
(( $(stat_of b referenced_bytes) == 48 << 20 )) || fail "b's file is not referenced: $(ag b repo stat --json)"

# 2. c from b alone: b serves from the file it downloaded.
kill -STOP "${pid[a]}"
out=$(ag c get "$cid" -o "$work/c.bin" --peer "$(addr b)") || fail "c could not get the file from b"
b_id=$(ag b id --json | json 'd["peer"]')
grep -q "from $b_id: 50.3 MB" <<<"$out" || fail "get does not say who sent what: $out"
cmp "$work/in/file.bin" "$work/c.bin" || fail "c's file differs"
(( $(metric b agora_xfer_leaf_bytes_sent_total) == 48 << 20 )) || fail "b did not serve over xfer"
kill -CONT "${pid[a]}"

# 3. A directory still works (bitswap), and a changed byte in b's file is never served on.
ag b get "$tree" -o "$work/b-tree" --peer "$(addr a)" >/dev/null
diff -r "$work/in/tree" "$work/b-tree" || fail "tree differs"
printf 'X' | dd of="$work/b.bin" bs=1 seek=$((5 << 20)) conv=notrunc status=none
ag c repo gc >/dev/null
rm -f "$work/c2.bin"
kill -STOP "${pid[a]}"
if timeout 20 "$agora" --repo "$work/c" get "$cid" -o "$work/c2.bin" --peer "$(addr b)" >/dev/null 2>&1; then
  cmp -s "$work/in/file.bin" "$work/c2.bin" || fail "c got a file with b's changed byte"
fi
kill -CONT "${pid[a]}"
ag b events --json | grep -q '"type":"block_ref_broken"' || fail "b did not record the broken reference"
[[ ! -e "$work/c2.bin" ]] || cmp -s "$work/in/file.bin" "$work/c2.bin" || fail "a wrong file at c"

# 4. A download rate is a ceiling: 16 MiB at 4 MB/s takes at least (16 MiB - burst) / rate.
#    (A lower bound only: a slow machine makes it longer, never shorter.)
start d --download-rate 4000000
grep -q '^bandwidth upload no limit, download 4.0 MB/s$' "$work/d.log" || fail "d's start-up lines do not say its limit"
head -c $((16 << 20)) /dev/urandom >"$work/in/small.bin"
small=$(ag a add -Q "$work/in/small.bin")
t0=$(date +%s%N)
ag d get "$small" -o "$work/d.bin" --peer "$(addr a)" >/dev/null || fail "d could not get the file"
elapsed_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
cmp "$work/in/small.bin" "$work/d.bin" || fail "d's file differs"
(( elapsed_ms >= 3000 )) || fail "16 MiB at --download-rate 4000000 took only ${elapsed_ms} ms"

# 5. Peers that had nothing at first are asked again: f starts a get from e (capped, so it lasts
#    seconds) while g, connected to f, lacks the file; a second later g adds the same bytes. f
#    asked g at its start (not found), so only a later ask makes g a source. (Before, f took
#    everything from e.)
start e --upload-rate 2000000
start f
start g
ag f swarm connect "$(addr e)" >/dev/null
ag f swarm connect "$(addr g)" >/dev/null
head -c $((16 << 20)) /dev/urandom >"$work/in/shared.bin"
shared=$(ag e add -Q "$work/in/shared.bin")
ag f get --json "$shared" -o "$work/f.bin" >"$work/f.json" &
f_get=$!
sleep 1
[[ $(ag g add -Q "$work/in/shared.bin") == "$shared" ]] || fail "g's CID differs"
wait "$f_get" || fail "f could not get the shared file"
cmp "$work/in/shared.bin" "$work/f.bin" || fail "f's copy differs"
g_id=$(ag g id --json | json 'd["peer"]')
from_g=$(json "d['sources'].get('$g_id', 0)" <"$work/f.json")
(( from_g > 0 )) || fail "f never asked g again once g had the file: $(cat "$work/f.json")"
echo "xfer_daemons: all checks passed"
