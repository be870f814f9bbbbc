#!/usr/bin/env bash
# What a person sees in a terminal, through the real binary against two real daemons, with the
# CLI's standard error on a pseudo-terminal (util-linux `script`):
#   - get: a progress line with the phase, bytes and a percent, and under it a line per source
#     with its bytes and rate, all cleared before "saved ...";
#     none under --json, none when standard error is not a terminal (the pty holds stdout alone);
#   - ls of a directory of 3000 entries: a progress line counting the entries; none under --json
#     or with standard error redirected;
#   - an error: "error: ..." on a line of its own (a progress line drawn before it is cleared),
#     exit code 1; under --json the JSON error alone.
set -euo pipefail
agora="${AGORA_BIN:?set AGORA_BIN}"
work="$(mktemp -d /tmp/agora-tty.XXXXXX)"
declare -A pid
cleanup() {
  for p in "${pid[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
ag() { local n=$1; shift; "$agora" --repo "$work/$n" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start() {  # start NAME [daemon options]
  ag "$1" init --listen /ip4/127.0.0.1/tcp/0 --api 127.0.0.1:0 >/dev/null
  sed -i -e 's/^mdns = true/mdns = false/' "$work/$1/config.toml"  # other tests' daemons
  : >"$work/$1.log"
  "$agora" --repo "$work/$1" daemon "${@:2}" >"$work/$1.log" 2>&1 &
  pid[$1]=$!
  for _ in $(seq 100); do grep -q '^ready' "$work/$1.log" && return; sleep 0.1; done
  fail "$1 did not become ready"
}
addr() { grep -m1 '^listening' "$work/$1.log" | cut -d' ' -f2; }
# in_pty FILE COMMAND: runs COMMAND (a shell command line) with its terminal a pseudo-terminal;
# everything the terminal showed goes to FILE; returns COMMAND's exit code.
in_pty() {
  local file=$1; shift
  local rc=0
  script -qfec "$*" /dev/null >"$file" </dev/null || rc=$?
  return "$rc"
}
# The progress bar's marks: a carriage return and the erase-to-end-of-screen sequence.
has_bar() { grep -q $'\r\033\\[J' "$1"; }

# a's uploads are capped, so that a get of 32 MiB from it lasts over 2 s: long enough for the
# per-source rate (measured over a second) to show.
start a --upload-rate 16000000
start b
peer="--peer $(addr a)"

# 1. get: progress on the terminal.
head -c $((32 << 20)) /dev/urandom >"$work/big.bin"
big=$(ag a add -Q "$work/big.bin")
in_pty "$work/get.tty" "$agora --repo $work/b get $big -o $work/got1 $peer" || fail "get in a pty failed: $(cat -v "$work/get.tty")"
cmp -s "$work/big.bin" "$work/got1" || fail "get in a pty: content differs"
has_bar "$work/get.tty" || fail "get in a pty drew no progress: $(cat -v "$work/get.tty")"
grep -aEq 'fetching \[[# ]{30}\] +[0-9]+% [0-9.]+ [kMG]?B / 33\.6 MB' "$work/get.tty" \
  || fail "get's progress lacks phase, percent and bytes: $(cat -v "$work/get.tty")"
a_id=$(ag a id --json | json 'd["peer"]')
grep -aEq "^  …${a_id: -12} +[0-9.]+ [kMG]?B +[0-9.]+ [kMG]?B/s" "$work/get.tty" \
  || fail "get's progress has no line for its source with bytes and rate: $(cat -v "$work/get.tty")"
# The result is on a line of its own: the bar was cleared just before it.
tr '\r' '\n' <"$work/get.tty" | grep -aq "^"$'\033'"\[Jsaved $big to $work/got1: 33.6 MB" \
  || fail "get's result is not printed after the bar was cleared: $(cat -v "$work/get.tty")"

# Under --json: the result alone, no bar. Standard error not a terminal: no bar anywhere.
ag b repo gc >/dev/null
in_pty "$work/get-json.tty" "$agora --repo $work/b --json get $big -o $work/got2 $peer" || fail "get --json in a pty failed"
has_bar "$work/get-json.tty" && fail "get --json drew progress: $(cat -v "$work/get-json.tty")"
[[ $(tr -d '\r' <"$work/get-json.tty" | json '(d["phase"], d["bytes_written"])') == "('done', $((32 << 20)))" ]] \
  || fail "get --json in a pty: not the result alone: $(cat -v "$work/get-json.tty")"
ag b repo gc >/dev/null
in_pty "$work/get-redir.tty" "$agora --repo $work/b get $big -o $work/got3 $peer 2>$work/get-redir.err" || fail "get with stderr redirected failed"
has_bar "$work/get-redir.tty" && fail "get drew progress on stdout: $(cat -v "$work/get-redir.tty")"
[[ ! -s "$work/get-redir.err" ]] || fail "get wrote progress to a stderr that is not a terminal: $(cat -v "$work/get-redir.err")"
grep -aq "^saved $big" "$work/get-redir.tty" || fail "get with stderr redirected: $(cat -v "$work/get-redir.tty")"

# 2. ls of a large directory: the entries counted while their blocks are fetched.
mkdir "$work/many"
for i in $(seq -w 1 3000); do echo "entry $i" >"$work/many/f$i"; done
many=$(ag a add -r -Q "$work/many")
in_pty "$work/ls.tty" "$agora --repo $work/b ls $many $peer" || fail "ls in a pty failed"
has_bar "$work/ls.tty" || fail "ls in a pty drew no progress: $(head -c 2000 "$work/ls.tty" | cat -v)"
grep -aEq 'listing \[[# ]{30}\] +[0-9]+% [0-9]+ entries / 3000 entries' "$work/ls.tty" \
  || fail "ls's progress does not count entries: $(head -c 2000 "$work/ls.tty" | cat -v)"
[[ $(tr -d '\r' <"$work/ls.tty" | grep -ac ' file f[0-9]*$') == 3000 ]] || fail "ls in a pty: not 3000 entries"
in_pty "$work/ls-json.tty" "$agora --repo $work/b --json ls $many" || fail "ls --json in a pty failed"
has_bar "$work/ls-json.tty" && fail "ls --json drew progress"
[[ $(tr -d '\r' <"$work/ls-json.tty" | json '(len(d["entries"]), "done" in d)') == "(3000, False)" ]] \
  || fail "ls --json in a pty is not the listing alone"
in_pty "$work/ls-redir.tty" "$agora --repo $work/b ls $many 2>$work/ls-redir.err" || fail "ls with stderr redirected failed"
[[ ! -s "$work/ls-redir.err" ]] || fail "ls wrote progress to a stderr that is not a terminal"
has_bar "$work/ls-redir.tty" && fail "ls drew progress on stdout"

# 3. Errors in a terminal: on their own line, exit code 1. The destination exists: refused
# before anything is drawn. Over --max-size: refused after the bar showed "resolving", which is
# cleared first.
rc=0; in_pty "$work/err1.tty" "$agora --repo $work/b get $big -o $work/got1" || rc=$?
[[ $rc == 1 ]] || fail "get onto an existing file in a pty: exit code $rc"
[[ $(tr -d '\r' <"$work/err1.tty") == "error: $work/got1 already exists" ]] \
  || fail "get onto an existing file in a pty: $(cat -v "$work/err1.tty")"
rc=0; in_pty "$work/err2.tty" "$agora --repo $work/b get $big -o $work/got4 --max-size 1M" || rc=$?
[[ $rc == 1 ]] || fail "get over --max-size in a pty: exit code $rc"
has_bar "$work/err2.tty" || fail "get over --max-size drew nothing before its error"
tr '\r' '\n' <"$work/err2.tty" | grep -aq "^"$'\033'"\[Jerror: $big declares $((32 << 20)) bytes, over the size limit" \
  || fail "the error is not on a cleared line: $(cat -v "$work/err2.tty")"
rc=0; in_pty "$work/err3.tty" "$agora --repo $work/b --json get $big -o $work/got4 --max-size 1M" || rc=$?
[[ $rc == 1 ]] || fail "get --json over --max-size in a pty: exit code $rc"
[[ $(tr -d '\r' <"$work/err3.tty" | json '(d["kind"], d["exit_code"])') == "('too_large', 1)" ]] \
  || fail "get --json's error in a pty is not the JSON object alone: $(cat -v "$work/err3.tty")"
echo "cli terminal: ok"
