#!/usr/bin/env bash
# A disk that fills up, through the CLI: a daemon whose repo sits on a 12 MiB tmpfs is asked to
# add, then to fetch, files bigger than that. Each must fail with a clear error, leave no partial
# block, temporary file or download behind, keep `repo verify` clean, and keep the daemon
# serving. The tmpfs is mounted in a private user and mount namespace the test makes itself
# (unshare -rm); where user namespaces are off the test is skipped (exit 77).
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
if [[ "${AGORA_IN_NAMESPACE:-}" != 1 ]]; then
  if ! unshare -rm true 2>/dev/null; then
    echo "SKIP: user namespaces are not available (unshare -rm failed)"
    exit 77
  fi
  exec env AGORA_IN_NAMESPACE=1 unshare -rm --propagation private "$0" "$@"
fi

work="$(mktemp -d /tmp/agora-diskfull.XXXXXX)"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  umount "$work/small" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

mkdir -p "$work/small"
mount -t tmpfs -o size=12M tmpfs "$work/small"

start() {  # start NAME REPO
  [[ -d "$2" ]] || "$agora" --repo "$2" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  : >"$work/$1.log"
  "$agora" --repo "$2" daemon >"$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }
no_temp_files() { [[ -z "$(find "$1/blocks/.tmp" -type f 2>/dev/null)" ]]; }
full="$work/small/repo"

start full "$full"
start big "$work/big"
head -c $((24 << 20)) /dev/urandom >"$work/in.bin"
head -c 1000 /dev/urandom >"$work/tiny.bin"

# add: the disk fills up part way.
out=$("$agora" --repo "$full" add "$work/in.bin" 2>&1) && fail "add onto a full disk succeeded"
grep -qi "no space left" <<<"$out" || fail "unclear disk-full error from add: $out"
echo "add: $out"
no_temp_files "$full" || fail "add left temporary files"
"$agora" --repo "$full" repo verify >/dev/null || fail "repo verify after a failed add"
# (pin ls has no -q: the old check here compared a usage error's empty stdout.)
pins=$("$agora" --repo "$full" --json pin ls) || fail "pin ls after a failed add"
[[ $(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["pins"]))' <<<"$pins") == 0 ]] ||
  fail "a failed add pinned something: $pins"

# The daemon keeps working: once gc frees the orphaned blocks, a small add succeeds.
"$agora" --repo "$full" repo gc >/dev/null || fail "gc after a failed add"
tiny=$("$agora" --repo "$full" add -q "$work/tiny.bin") || fail "small add after gc"
[[ "$("$agora" --repo "$full" cat "$tiny" | cmp - "$work/tiny.bin" && echo same)" == same ]] ||
  fail "small file reads back differently"

# pin add: the fetched blocks fill the repo's disk.
cid=$("$agora" --repo "$work/big" add -Q "$work/in.bin")
"$agora" --repo "$full" swarm connect "$(addr big)" >/dev/null
out=$("$agora" --repo "$full" pin add "$cid" 2>&1) && fail "a fetch onto a full disk succeeded"
grep -qi "no space left" <<<"$out" || fail "unclear disk-full error from pin add: $out"
echo "pin add: $out"
no_temp_files "$full" || fail "pin add left temporary files"
# get -o onto the full disk: refused up front, for lack of free space (a get over xfer writes the
# file itself, not blocks); nothing appears at the destination.
out=$("$agora" --repo "$full" get "$cid" -o "$work/small/out.bin" 2>&1) &&
  fail "get onto a full disk succeeded"
grep -qi "free space\|no space left" <<<"$out" || fail "unclear disk-full error from get: $out"
echo "get: $out"
[[ ! -e "$work/small/out.bin" ]] || fail "a partial download appeared at the destination"
ls -A "$work/small" | grep -q "agora-partial" && fail "get left a temporary: $(ls -A "$work/small")"
no_temp_files "$full" || fail "get left temporary files"
"$agora" --repo "$full" repo verify >/dev/null || fail "repo verify after a failed get"
"$agora" --repo "$full" cat "$tiny" | cmp -s - "$work/tiny.bin" || fail "pinned file damaged"
"$agora" --repo "$full" id >/dev/null || fail "daemon stopped answering"
kill -0 "${pid[full]}" || fail "daemon exited"
echo "disk full: clear errors, nothing partial, repo consistent, daemon serving"
