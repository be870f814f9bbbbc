#!/usr/bin/env bash
# Everyday fetching between two `agora daemon` processes on loopback, through the real CLI:
#   - get checks -o before fetching (an existing file, a parent that is not a directory);
#   - ls, cat and get of a path fetch only the blocks under it (a big sibling is never fetched);
#   - get --json's final object: phase done, the declared and written bytes;
#   - cat of a directory or a symlink says what it is;
#   - Ctrl-C (SIGINT to the client) cancels a get mid-transfer: nothing at the destination, the
#     blocks kept, and a later get resumes; an interrupted add pins nothing;
#   - agora ops ls / ops cancel list and cancel a running operation;
#   - dialling: a server that is not libp2p is named as such, an existing connection is reported
#     by swarm connect, ping takes a peer id, a dead --peer is reported.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-fetch-ops.XXXXXX)"
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

start() {  # start NAME
  "$agora" --repo "$work/$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"  # other tests' daemons
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon >"$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }
# Stored and referenced: a get over xfer writes into its destination and records references.
block_bytes() { ag "$1" repo stat --json | json 'd["block_bytes"] + d.get("referenced_bytes", 0)'; }
ops_count() { ag "$1" ops ls --json | json 'len(d["operations"])'; }
wait_until() {  # wait_until SECONDS COMMAND...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.1; done
}
no_ops() { [[ $(ops_count "$1") == 0 ]]; }
# Prefix for a background command that must hear Ctrl-C (kill -INT) as it would at a terminal:
# bash starts a script's background jobs with SIGINT ignored. exec keeps the pid ($!).
interruptible=(python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])')
one_op() { [[ $(ops_count "$1") == 1 ]]; }

start a
start b
mkdir -p "$work/in/tree/sub"
head -c $((32 << 20)) /dev/urandom >"$work/in/tree/big.bin"
echo "small file" >"$work/in/tree/sub/small.txt"
ln -s sub/small.txt "$work/in/tree/link"
tree=$(ag a add -Q -r "$work/in/tree")
peer=(--peer "$(addr a)")

# 1. -o is checked before anything is fetched; the error names the real cause.
echo mine >"$work/exists.txt"
out=$(ag b get "$tree/big.bin" -o "$work/exists.txt" "${peer[@]}" 2>&1) && fail "get overwrote"
grep -q "already exists" <<<"$out" || fail "unclear error for an existing -o: $out"
[[ $(cat "$work/exists.txt") == mine ]] || fail "the existing file was touched"
out=$(ag b get "$tree/big.bin" -o "$work/exists.txt/x.bin" 2>&1) && fail "get under a file accepted"
grep -q "Not a directory" <<<"$out" || fail "the real errno is not reported: $out"
grep -q "already exists" <<<"$out" && fail "a non-directory parent reported as existing: $out"
[[ $(block_bytes b) == 0 ]] || fail "b fetched blocks before refusing the destination"

# 2. Only what is asked: ls and cat of sub/ never fetch the 32 MiB sibling.
ag b ls "$tree/sub" "${peer[@]}" | grep -q "small.txt" || fail "ls of a subdirectory"
[[ $(ag b cat "$tree/sub/small.txt") == "small file" ]] || fail "cat of a path"
(( $(block_bytes b) < 1 << 20 )) || fail "ls/cat of sub/ fetched $(block_bytes b) bytes"
out=$(ag b cat "$tree/sub" 2>&1) && fail "cat of a directory succeeded"
grep -q "is a directory" <<<"$out" || fail "unclear error for cat of a directory: $out"
out=$(ag b cat "$tree/link" 2>&1) && fail "cat of a symlink succeeded"
grep -q "is a symlink to 'sub/small.txt'" <<<"$out" || fail "unclear error for cat of a symlink: $out"
res=$(ag b get --json "$tree/sub" -o "$work/sub.out") || fail "get of a subdirectory"
[[ $(json '(d["phase"], d["bytes_written"])' <<<"$res") == "('done', 11)" ]] \
  || fail "get --json of a tree: phase or bytes written wrong: $res"
[[ $(cat "$work/sub.out/small.txt") == "small file" ]] || fail "get of a subdirectory: content"
(( $(block_bytes b) < 1 << 20 )) || fail "get of sub/ fetched $(block_bytes b) bytes"

# 3. Ctrl-C during a get: the seed is paused mid-transfer so the get is surely still running,
# then the client gets SIGINT. The daemon must stop, leave nothing at -o, keep its blocks.
huge_bytes=$((400 << 20))  # well over what arrives in the time the seed takes to be paused
head -c "$huge_bytes" /dev/urandom >"$work/in/huge.bin"
huge=$(ag a add -q "$work/in/huge.bin")
"${interruptible[@]}" "$agora" --repo "$work/b" get "$huge" -o "$work/huge.out" >/dev/null 2>&1 &
getter=$!
for _ in $(seq 300); do
  (( $(block_bytes b) > 20 << 20 )) && break
  sleep 0.02
done
kill -STOP "${pid[a]}"
(( $(block_bytes b) > 0 )) || fail "the get had not started"
(( $(block_bytes b) < huge_bytes )) || fail "the get finished before it could be interrupted"
[[ $(ops_count b) == 1 ]] || fail "the running get is not listed by ops ls"
kill -INT "$getter"; wait "$getter" 2>/dev/null || true
wait_until 5 no_ops b || fail "the get went on after its client was interrupted"
kill -CONT "${pid[a]}"
sleep 1
[[ ! -e "$work/huge.out" ]] || fail "an interrupted get wrote its destination"
ls -A "$work" | grep -q "huge.out" && fail "an interrupted get left a temporary: $(ls -A "$work")"
kept=$(block_bytes b)
res=$(ag b get --json "$huge" -o "$work/huge.out" "${peer[@]}")
(( $(json 'd["blocks_local"]' <<<"$res") > 0 )) || fail "the blocks of the interrupted get were not kept: $res"
cmp "$work/in/huge.bin" "$work/huge.out" || fail "the resumed get differs"
# The final --json object tells how it ended: done, the file's bytes declared and written.
[[ $(json '(d["done"], d["phase"], d["total_bytes"], d["bytes_written"], d["bytes"])' <<<"$res") \
   == "(True, 'done', $huge_bytes, $huge_bytes, $huge_bytes)" ]] \
  || fail "the final get --json object is not the truth: $res"
(( kept > 0 )) || fail "nothing kept"

# 4. ops cancel: a get of content nobody has waits; cancel it by id.
echo "nobody has this" >"$work/nobody.txt"
nobody=$(ag b add -q --only-hash "$work/nobody.txt")
"$agora" --repo "$work/b" get "$nobody" -o "$work/nobody.out" >"$work/cancelled.txt" 2>&1 &
getter=$!
wait_until 5 one_op b || fail "the waiting get is not listed"
id=$(ag b ops ls --json | json 'd["operations"][0]["id"]')
ag b ops ls | grep -q "get  $nobody" || fail "ops ls text: $(ag b ops ls)"
ag b ops cancel "$id" | grep -q "cancelling $id" || fail "ops cancel"
wait "$getter" && fail "a cancelled get succeeded"
grep -q "cancelled" "$work/cancelled.txt" || fail "a cancelled get does not say so: $(cat "$work/cancelled.txt")"
wait_until 5 no_ops b || fail "cancelled operation still listed"
out=$(ag b ops cancel 99999 2>&1) && fail "cancel of an unknown id succeeded"

# 5. Dialling: an address that is not a libp2p peer says so; an existing connection is said to be
# used; ping takes a peer id; a dead --peer is reported.
a_id=$(ag a id --json | json 'd["peer"]')
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); c.sendall(b"SSH-2.0-OpenSSH_9.2\r\n"); time.sleep(3)' >"$work/ssh.port" &
wait_until 5 test -s "$work/ssh.port" || fail "no stand-in server"
out=$(ag b swarm connect "/ip4/127.0.0.1/tcp/$(cat "$work/ssh.port")" 2>&1) && fail "an SSH server accepted as a peer"
grep -q "did not answer as a libp2p peer" <<<"$out" || fail "unclear error for a non-libp2p address: $out"
ag b swarm connect "$(addr a)" >/dev/null || fail "swarm connect"
out=$(ag b swarm connect "/ip4/127.0.0.1/tcp/1/p2p/$a_id")
grep -q "already connected to $a_id" <<<"$out" || fail "an existing connection not reported: $out"
[[ $(ag b swarm connect --json "/ip4/127.0.0.1/tcp/1/p2p/$a_id" | json 'd["existing"]') == True ]] \
  || fail "swarm connect --json lacks existing"
ag b ping "$a_id" -n 1 | grep -q "PING $a_id" || fail "ping by peer id"
out=$(ag b cat "$tree/sub/small.txt" --peer "/ip4/127.0.0.1/tcp/1" 2>&1) && fail "a dead --peer was ignored"
grep -q -- "--peer /ip4/127.0.0.1/tcp/1 did not connect" <<<"$out" || fail "a dead --peer not named: $out"

# 6. Ctrl-C during add: nothing pinned. The daemon is paused as soon as the add is under way, so
# the client's SIGINT surely lands before the add could finish.
head -c $((200 << 20)) /dev/urandom >"$work/in/other.bin"
other=$(ag a add -q --only-hash "$work/in/other.bin")
"${interruptible[@]}" "$agora" --repo "$work/a" add -q "$work/in/other.bin" >/dev/null 2>&1 &
adder=$!
for _ in $(seq 300); do
  ag a ops ls --json | json 'any(o["kind"] == "add" and o["bytes"] > 0 for o in d["operations"])' \
    | grep -qx True && break
  sleep 0.02
done
kill -STOP "${pid[a]}"
kill -INT "$adder"; wait "$adder" 2>/dev/null || true
kill -CONT "${pid[a]}"
wait_until 10 no_ops a || fail "the add went on after its client was interrupted"
ag a pin ls | grep -q "$other" && fail "an interrupted add was pinned"
echo "ok"
